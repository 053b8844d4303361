/*
 * h_security_ns.c: a host namespace's own security descriptor as SDDL
 * (operations getNamespaceSecurity, putNamespaceSecurity).
 *
 * WMI keeps it behind the singleton class __SystemSecurity of each
 * namespace: GetSD returns it and SetSD replaces it, as a self-relative
 * binary descriptor in a uint8 array (MS-WMI; WMI's __SystemSecurity
 * documentation).  Both run through the translators' ordinary INVOKE, so
 * WS-Management and DCOM hosts work alike; auth/ converts between SDDL
 * and the binary form.  The class is declared here rather than fetched:
 * its two methods are all this needs, and not every protocol can describe
 * system classes.
 */
#include "auth/sddl.h"
#include "cim/class_json.h"
#include "gateway/h_security_ns.h"
#include "gateway/handlers.h"
#include "gateway/result.h"
#include "util/err.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SD_BYTES 65536

/* __SystemSecurity as much as the gateway needs of it.  GetSD and SetSD
 * are called without an instance (the singleton): static here. */
static const char class_json[] =
    "{\"name\": \"__SystemSecurity\", \"qualifiers\": [\"singleton\"], \"properties\": [], \"methods\": ["
    " {\"name\": \"GetSD\", \"static\": true, \"returns\": \"uint32\", \"out\": [{\"name\": \"SD\", \"type\": \"uint8[]\"}]},"
    " {\"name\": \"SetSD\", \"static\": true, \"returns\": \"uint32\", \"in\": [{\"name\": \"SD\", \"type\": \"uint8[]\"}]}]}";

static const struct wmgw_cim_class *no_lookup(void *ctx, const char *ns, const char *name)
{
    (void)ctx;
    (void)ns;
    (void)name;
    return NULL;
}

/* One class per namespace is not needed: the translators read only its
 * methods; the namespace comes from the operation. */
static struct wmgw_cim_class *security_class;
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

static void make_class(void)
{
    json_t *j = json_loadb(class_json, sizeof(class_json) - 1, 0, NULL);
    if (j != NULL && wmgw_cim_class_from_json(j, "root", no_lookup, NULL, &security_class, NULL) != 0)
        security_class = NULL;
    json_decref(j);
}

struct sd_args {
    struct wmgw_cim_proplist params;
    json_t *body;
    char *sddl; /* PUT: the canonical text of what was set */
};

static void sd_args_dispose(void *p)
{
    struct sd_args *a = p;
    wmgw_cim_proplist_dispose(&a->params);
    json_decref(a->body);
    free(a->sddl);
}

static void respond_sddl(struct wmgw_exec *x, const char *sddl)
{
    wmgw_respond_json_value(x->r, 200,
                            json_pack("{s:s, s:s, s:s}", "host", x->host_name, "namespace", x->ns, "sddl", sddl), NULL);
}

/* A non-zero ReturnValue is the method's own failure (a WBEM HRESULT). */
static bool method_failed(struct wmgw_exec *x, struct wmgw_result *res, const char *method)
{
    const struct wmgw_cim_prop *rv = wmgw_cim_proplist_find(&res->out, "ReturnValue");
    if (rv == NULL || rv->value.null || rv->value.u.u == 0)
        return false;
    unsigned long code = (unsigned long)rv->value.u.u;
    wmgw_respond_problem(x->r, code == 0x80041003ul ? WMGW_EACCES : WMGW_EBACKEND,
                         "host %s: __SystemSecurity.%s returned 0x%08lx", x->host_name, method, code);
    return true;
}

static void get_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    if (method_failed(x, res, "GetSD"))
        return;
    const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&res->out, "SD");
    uint8_t *bin = NULL;
    size_t n = 0;
    int got = p != NULL ? wmgw_cim_value_get_bytes(&p->value, MAX_SD_BYTES, &bin, &n) : WMGW_EINVAL;
    if (got != 0) {
        if (got == WMGW_ENOMEM)
            wmgw_respond_problem(x->r, WMGW_ENOMEM, "out of memory");
        else
            wmgw_respond_problem(x->r, WMGW_EPROTO, "host %s: GetSD gave no SD byte array", x->host_name);
        return;
    }
    struct wmgw_sd sd;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    struct wmgw_buf text;
    wmgw_buf_init(&text, 1u << 20);
    int rc = wmgw_sd_decode(&sd, bin, n, &e);
    free(bin);
    if (rc == 0) {
        rc = wmgw_sddl_format(&sd, NULL, &text, &e);
        wmgw_sd_dispose(&sd);
    }
    if (rc == 0 && wmgw_buf_addc(&text, '\0') != 0)
        rc = WMGW_ENOMEM;
    if (rc != 0)
        wmgw_respond_problem(x->r, WMGW_EPROTO, "host %s: the descriptor GetSD returned is not valid: %s",
                             x->host_name, e.message);
    else
        respond_sddl(x, text.data);
    wmgw_buf_dispose(&text);
}

static void set_done(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err)
{
    struct sd_args *a = res->data; /* x->data is the result's now */
    if (err != NULL) {
        wmgw_respond_backend_error(x->r, x->host_name, err);
        return;
    }
    if (!method_failed(x, res, "SetSD"))
        respond_sddl(x, a->sddl);
}

static void start(struct wmgw_exec *x, const char *method, wmgw_result_done done)
{
    struct sd_args *a = x->data;
    struct wmgw_op *op = &x->call.op;
    op->kind = WMGW_OP_INVOKE;
    op->class_name = "__SystemSecurity";
    op->method = method;
    op->params = &a->params;
    op->cls = security_class;
    wmgw_result_start(x, done, a);
}

static void get_ready(struct wmgw_exec *x)
{
    start(x, "GetSD", get_done);
}

static void set_ready(struct wmgw_exec *x)
{
    start(x, "SetSD", set_done);
}

/* SDDL -> binary -> the SD parameter (a uint8 array). */
static int sd_param(struct sd_args *a, const char *sddl, struct wmgw_err *e)
{
    struct wmgw_sd sd;
    int rc = wmgw_sddl_parse(&sd, sddl, strlen(sddl), NULL, e);
    if (rc != 0)
        return rc;
    struct wmgw_buf bin, text;
    wmgw_buf_init(&bin, MAX_SD_BYTES);
    wmgw_buf_init(&text, 1u << 20);
    rc = wmgw_sd_encode(&sd, &bin, e);
    if (rc == 0)
        rc = wmgw_sddl_format(&sd, NULL, &text, e);
    if (rc == 0 && wmgw_buf_addc(&text, '\0') == 0)
        a->sddl = strdup(text.data);
    wmgw_sd_dispose(&sd);
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_UINT8 | WMGW_CIM_ARRAY);
    if (rc == 0 && (a->sddl == NULL || wmgw_cim_value_set_bytes(&v, (const uint8_t *)bin.data, bin.len) != 0 ||
                    wmgw_cim_proplist_put(&a->params, "SD", &v) != 0))
        rc = wmgw_err_set(e, WMGW_ENOMEM, "out of memory");
    wmgw_cim_value_dispose(&v);
    wmgw_buf_dispose(&bin);
    wmgw_buf_dispose(&text);
    return rc;
}

static struct wmgw_exec *prepare(struct wmgw_request *r)
{
    pthread_once(&class_once, make_class);
    if (security_class == NULL) {
        wmgw_respond_problem(r, WMGW_EINTERNAL, "cannot declare __SystemSecurity");
        return NULL;
    }
    struct wmgw_exec *x = wmgw_exec_new(r);
    if (x == NULL)
        return NULL;
    struct sd_args *a = h2o_mem_alloc_shared(&r->req->pool, sizeof(*a), sd_args_dispose);
    memset(a, 0, sizeof(*a));
    x->data = a;
    return x;
}

int wmgw_h_get_namespace_security(struct wmgw_request *r)
{
    struct wmgw_exec *x = prepare(r);
    if (x != NULL)
        wmgw_exec_detect(x, get_ready);
    return 0;
}

int wmgw_h_put_namespace_security(struct wmgw_request *r)
{
    struct wmgw_exec *x = prepare(r);
    if (x == NULL)
        return 0;
    struct sd_args *a = x->data;
    if ((a->body = wmgw_request_json_body(r)) == NULL)
        return 0;
    json_t *s = json_object_get(a->body, "sddl");
    if (!json_is_string(s)) {
        wmgw_respond_problem(r, WMGW_EINVAL, "the body is {\"sddl\": \"O:...G:...D:...\"}");
        return 0;
    }
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = sd_param(a, json_string_value(s), &e);
    if (rc != 0) {
        wmgw_respond_problem(r, rc == WMGW_ENOMEM ? rc : WMGW_EINVAL, "sddl: %s", e.message);
        return 0;
    }
    wmgw_exec_detect(x, set_ready);
    return 0;
}
