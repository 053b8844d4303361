/*
 * wmi_client_fake.h: an in-process fake WMI-over-DCOM host for
 * wmi_client.c, on the test's own h2o loop (single-threaded, so every
 * test is deterministic), built from the server roles of the same stubs
 * the gateway's client uses: rpc_conn (server), rpc_ntlm (acceptor),
 * dcom_activation, dcom_remunknown, wmi_calls and the MS-WMIO encoder.
 *
 * It listens on 127.0.0.1 twice -- the activation port and the object
 * exporter's endpoint -- and optionally on 127.0.0.2 (a machine the
 * gateway must never be sent to).  Activation answers the string bindings
 * the test chose.  Its store is one class, Test_Item (Id key, Name, Value,
 * instance method Scale, static method Reset), with instances Id = 1..n
 * in root/test, and Win32_OperatingSystem in root/cimv2 for IDENTIFY.
 * Every call is counted; the test can make it fail with an HRESULT, or
 * go silent.  Header-only: every .c of tests/unit is a test of its own.
 */
#ifndef WMGW_TESTS_UNIT_WMI_WMI_CLIENT_FAKE_H
#define WMGW_TESTS_UNIT_WMI_WMI_CLIENT_FAKE_H

#define H2O_USE_LIBUV 0
#include <h2o/socket.h>
#include <h2o/timeout.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/dcom_remunknown.h"
#include "translators/wmi/rpc_conn.h"
#include "translators/wmi/rpc_ntlm.h"
#include "translators/wmi/wmi_calls.h"
#include "translators/wmi/wmio.h"

#define FK_FN static __attribute__((unused))
#define FK_MAX_ENUMS 16

enum { FK_SCM, FK_EP, FK_OTHER };

struct fk_server;

struct fk_conn {
    struct fk_server *s;
    struct fk_conn *next;
    h2o_socket_t *sock;
    struct wmgw_rpc_conn *rpc;
    int kind;
    bool closed, writing;
    struct wmgw_buf wbuf;
};

struct fk_enum {
    struct wmgw_uuid ipid;
    bool live;
    unsigned next, total; /* items 1..total of the class, next = 0-based */
    bool os;              /* Win32_OperatingSystem */
};

struct fk_server {
    h2o_evloop_t *loop;
    h2o_socket_t *listener[3];
    int other_guard; /* 127.0.0.1:port[FK_OTHER], bound, never listening */
    uint16_t port[3];
    struct fk_conn *conns;
    /* what activation says: "<binding_host>[<binding_port>]" */
    char binding_host[64];
    uint16_t binding_port;
    /* behaviour */
    bool silent;           /* requests are read and never answered */
    uint32_t inject_hr;    /* answer the next IWbem call of inject_opnum with this */
    int inject_opnum;
    unsigned nitems;       /* Test_Item instances */
    /* counters */
    unsigned accepted[3], activations, logins, releases, release_refs, queries, nexts, getobjects, puts, deletes,
        methods, requests;
    uint8_t last_level;    /* auth level of the last request */
    char last_query[256], last_path[256], last_ns[128], last_method[64];
    uint32_t last_put_flags, last_next_count, last_next_timeout;
    char put_name[64];     /* Name of the last PutInstance */
    int64_t last_factor;   /* Scale's in-parameter */
    bool reset_had_params;
    /* objects */
    struct wmgw_uuid remunk, login, services_test, services_cimv2;
    struct fk_enum enums[FK_MAX_ENUMS];
    struct wmgw_uuid released[32];
    unsigned nreleased;
    struct wmgw_cim_class *item_cls, *os_cls;
    struct wmgw_ntlm_server_config ntlm;
    struct wmgw_rpc_ntlm_config ntlm_rpc;
    struct wmgw_buf text;
};

static int fk__lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    if (strcasecmp(user, "alice") != 0)
        return WMGW_ENOTFOUND;
    snprintf(cred->password, sizeof(cred->password), "%s", "Secret-1");
    return 0;
}

/* --- the store ------------------------------------------------------------------ */

static int fk__cmp_decl(const void *a, const void *b)
{
    return strcasecmp(((const struct wmgw_cim_propdecl *)a)->name, ((const struct wmgw_cim_propdecl *)b)->name);
}

static struct wmgw_cim_class *fk__item_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Test_Item", "root/test");
    c->flags = WMGW_CIM_Q_SUPPORTS_CREATE | WMGW_CIM_Q_SUPPORTS_UPDATE | WMGW_CIM_Q_SUPPORTS_DELETE;
    wmgw_cim_class_add_prop(c, "Id", WMGW_CIM_UINT32)->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_READ | WMGW_CIM_Q_WRITE;
    wmgw_cim_class_add_prop(c, "Value", WMGW_CIM_SINT64)->flags = WMGW_CIM_Q_READ | WMGW_CIM_Q_WRITE;
    qsort(c->props, c->nprops, sizeof(*c->props), fk__cmp_decl);
    struct wmgw_cim_method *m = wmgw_cim_class_add_method(c, "Scale");
    m->return_type = WMGW_CIM_UINT32;
    wmgw_cim_method_add_param(m, "Factor", WMGW_CIM_SINT64)->flags = WMGW_CIM_Q_IN;
    wmgw_cim_method_add_param(m, "Result", WMGW_CIM_SINT64)->flags = WMGW_CIM_Q_OUT;
    m = wmgw_cim_class_add_method(c, "Reset");
    m->return_type = WMGW_CIM_UINT32;
    m->flags = WMGW_CIM_Q_STATIC;
    return c;
}

static struct wmgw_cim_class *fk__os_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_OperatingSystem", "root/cimv2");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY | WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "Version", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "Manufacturer", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "ServicePackMajorVersion", WMGW_CIM_UINT16)->flags = WMGW_CIM_Q_READ;
    wmgw_cim_class_add_prop(c, "ServicePackMinorVersion", WMGW_CIM_UINT16)->flags = WMGW_CIM_Q_READ;
    qsort(c->props, c->nprops, sizeof(*c->props), fk__cmp_decl);
    return c;
}

static void fk__put_str(struct wmgw_cim_instance *inst, const char *name, const char *v)
{
    struct wmgw_cim_value x;
    wmgw_cim_value_init_null(&x, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&x, strdup(v));
    wmgw_cim_proplist_put(&inst->props, name, &x);
}

static void fk__put_num(struct wmgw_cim_instance *inst, const char *name, uint16_t type, int64_t v)
{
    struct wmgw_cim_value x;
    wmgw_cim_value_init_null(&x, type);
    x.null = false;
    if (wmgw_cim_type_is_signed(type))
        x.u.s = v;
    else
        x.u.u = (uint64_t)v;
    wmgw_cim_proplist_put(&inst->props, name, &x);
}

static int fk__encode_item(struct fk_server *s, unsigned id, struct wmgw_buf *out)
{
    char name[32];
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Test_Item", "root/test");
    snprintf(name, sizeof(name), "item-%u", id);
    fk__put_num(inst, "Id", WMGW_CIM_UINT32, id);
    fk__put_str(inst, "Name", name);
    fk__put_num(inst, "Value", WMGW_CIM_SINT64, (int64_t)id * 1000);
    struct wmgw_wmio_encode_opts o = {.server = "FAKEHOST", .namespace_ = "root/test"};
    int rc = wmgw_wmio_encode_instance(out, inst, s->item_cls, &o, NULL);
    wmgw_cim_instance_unref(inst);
    return rc;
}

static int fk__encode_os(struct fk_server *s, struct wmgw_buf *out)
{
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Win32_OperatingSystem", "root/cimv2");
    fk__put_str(inst, "Name", "Fake Windows");
    fk__put_str(inst, "Version", "10.0.17763");
    fk__put_str(inst, "Manufacturer", "Microsoft Corporation");
    fk__put_num(inst, "ServicePackMajorVersion", WMGW_CIM_UINT16, 1);
    fk__put_num(inst, "ServicePackMinorVersion", WMGW_CIM_UINT16, 2);
    int rc = wmgw_wmio_encode_instance(out, inst, s->os_cls, NULL, NULL);
    wmgw_cim_instance_unref(inst);
    return rc;
}

/* --- objects --------------------------------------------------------------------- */

static int fk__objref(const struct wmgw_uuid *iid, const struct wmgw_uuid *ipid, struct wmgw_buf *out)
{
    struct wmgw_dcom_iref ir;
    struct wmgw_ndr_dsa resolver;
    memset(&ir, 0, sizeof(ir));
    memset(&resolver, 0, sizeof(resolver));
    ir.iid = *iid;
    ir.std.public_refs = 5;
    ir.std.oxid = 0x1122334455667788ull;
    ir.std.oid = 0x99;
    ir.std.ipid = *ipid;
    wmgw_dcom_dsa_add_tcp(&resolver, "FAKEHOST", 135, NULL);
    return wmgw_dcom_iref_format(&ir, &resolver, out, NULL);
}

/* The injected failure, once, for this opnum. */
static uint32_t fk__inject(struct fk_server *s, int opnum)
{
    if (s->inject_hr == 0 || s->inject_opnum != opnum)
        return 0;
    uint32_t hr = s->inject_hr;
    s->inject_hr = 0;
    return hr;
}

static struct fk_enum *fk__enum(struct fk_server *s, const struct wmgw_uuid *ipid)
{
    for (int i = 0; i < FK_MAX_ENUMS; i++)
        if (s->enums[i].live && wmgw_uuid_eq(&s->enums[i].ipid, ipid))
            return &s->enums[i];
    return NULL;
}

/* Test_Item.Id=<n> -> n, or 0. */
static unsigned fk__item_of(const struct fk_server *s, const char *path)
{
    unsigned id = 0;
    if (path == NULL || sscanf(path, "Test_Item.Id=%u", &id) != 1 || id == 0 || id > s->nitems)
        return 0;
    return id;
}

/* --- the handlers ---------------------------------------------------------------------- */

static int fk__activation(struct fk_server *s, const struct wmgw_rpc_event *ev, struct wmgw_buf *out)
{
    struct wmgw_dcom_activate_req q;
    struct wmgw_dcom_activate_resp *a = calloc(1, sizeof(*a));
    struct wmgw_buf objref;
    wmgw_buf_init(&objref, 4096);
    int rc = wmgw_dcom_activate_req_decode(ev->stub, ev->stub_len, &q, NULL);
    s->activations++;
    if (rc == 0) {
        a->has_act = true;
        a->act.n_ifaces = 1;
        a->act.ifaces[0].iid = q.act.iids[0];
        fk__objref(&q.act.iids[0], &s->login, &objref);
        a->act.ifaces[0].ptr.objref = (const uint8_t *)objref.data;
        a->act.ifaces[0].ptr.len = objref.len;
        a->act.oxid = 0x1122334455667788ull;
        wmgw_dcom_dsa_add_tcp(&a->act.bindings, s->binding_host, s->binding_port, NULL);
        a->act.bindings.n_security = 1;
        a->act.bindings.security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
        a->act.ipid_rem_unknown = s->remunk;
        a->act.authn_hint = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        a->act.com_major = 5;
        a->act.com_minor = 7;
        a->act.dest_ctx = 2;
        rc = wmgw_dcom_activate_resp_encode(out, a, NULL);
    }
    wmgw_buf_dispose(&objref);
    free(a);
    return rc;
}

static int fk__remunknown(struct fk_server *s, const struct wmgw_rpc_event *ev, struct wmgw_buf *out)
{
    struct wmgw_dcom_remref_req q;
    struct wmgw_dcom_status_resp a = {{0}, 0};
    int rc = wmgw_dcom_remref_req_decode(ev->stub, ev->stub_len, &q, NULL);
    if (rc != 0 || ev->opnum != WMGW_DCOM_OP_REM_RELEASE || !wmgw_uuid_eq(&ev->object, &s->remunk))
        return WMGW_EPROTO;
    s->releases++;
    for (unsigned i = 0; i < q.n_refs; i++) {
        s->release_refs += q.refs[i].public_refs;
        if (s->nreleased < 32)
            s->released[s->nreleased++] = q.refs[i].ipid;
        struct fk_enum *e = fk__enum(s, &q.refs[i].ipid);
        if (e != NULL)
            e->live = false;
    }
    return wmgw_dcom_status_resp_encode(out, &a, NULL);
}

static int fk__login(struct fk_server *s, const struct wmgw_rpc_event *ev, struct wmgw_buf *out)
{
    struct wmgw_wmi_login_req q;
    struct wmgw_dcom_ptr_resp a;
    struct wmgw_buf objref;
    memset(&a, 0, sizeof(a));
    wmgw_buf_init(&objref, 4096);
    if (!wmgw_uuid_eq(&ev->object, &s->login) || ev->opnum != WMGW_WMI_OP_NTLM_LOGIN ||
        wmgw_wmi_login_req_decode(ev->stub, ev->stub_len, &q, &s->text, NULL) != 0)
        return WMGW_EPROTO;
    s->logins++;
    snprintf(s->last_ns, sizeof(s->last_ns), "%s", q.network_resource);
    if (strcmp(q.network_resource, "//./root/test") == 0)
        fk__objref(&wmgw_dcom_iid_iwbem_services, &s->services_test, &objref);
    else if (strcmp(q.network_resource, "//./root/cimv2") == 0)
        fk__objref(&wmgw_dcom_iid_iwbem_services, &s->services_cimv2, &objref);
    else
        a.hr = WMGW_WBEM_E_INVALID_NAMESPACE;
    a.ptr.objref = objref.len ? (const uint8_t *)objref.data : NULL;
    a.ptr.len = objref.len;
    int rc = wmgw_dcom_ptr_resp_encode(out, &a, NULL);
    wmgw_buf_dispose(&objref);
    return rc;
}

static int fk__services(struct fk_server *s, const struct wmgw_rpc_event *ev, struct wmgw_buf *out)
{
    struct wmgw_buf unit, objref;
    int rc = 0;
    uint32_t hr = fk__inject(s, ev->opnum);
    wmgw_buf_init(&unit, 1 << 20);
    wmgw_buf_init(&objref, 4096);
    bool cimv2 = wmgw_uuid_eq(&ev->object, &s->services_cimv2);
    if (!cimv2 && !wmgw_uuid_eq(&ev->object, &s->services_test))
        return WMGW_EPROTO;
    switch (ev->opnum) {
    case WMGW_WMI_OP_GET_OBJECT: {
        struct wmgw_wmi_getobject_req q;
        struct wmgw_wmi_getobject_resp a;
        memset(&a, 0, sizeof(a));
        if (wmgw_wmi_getobject_req_decode(ev->stub, ev->stub_len, &q, &s->text, NULL) != 0)
            return WMGW_EPROTO;
        s->getobjects++;
        snprintf(s->last_path, sizeof(s->last_path), "%s", q.path ? q.path : "");
        unsigned id = fk__item_of(s, q.path);
        if (hr == 0 && q.path != NULL && strcmp(q.path, "Test_Item") == 0 && !cimv2)
            hr = wmgw_wmio_encode_class(&unit, s->item_cls, NULL, NULL) ? WMGW_WBEM_E_FAILED : 0;
        else if (hr == 0 && id != 0 && !cimv2)
            hr = fk__encode_item(s, id, &unit) ? WMGW_WBEM_E_FAILED : 0;
        else if (hr == 0)
            hr = q.path && strncmp(q.path, "Test_Item", 9) == 0 ? WMGW_WBEM_E_NOT_FOUND : WMGW_WBEM_E_INVALID_CLASS;
        a.pp_object = q.pp_object;
        a.pp_call_result = q.pp_call_result;
        if (hr == 0)
            a.object = (struct wmgw_wmi_unit){(const uint8_t *)unit.data, unit.len};
        a.hr = hr;
        rc = wmgw_wmi_getobject_resp_encode(out, &a, NULL);
        break;
    }
    case WMGW_WMI_OP_PUT_INSTANCE:
    case WMGW_WMI_OP_DELETE_INSTANCE: {
        struct wmgw_wmi_callresult_resp a;
        memset(&a, 0, sizeof(a));
        if (ev->opnum == WMGW_WMI_OP_PUT_INSTANCE) {
            struct wmgw_wmi_putinstance_req q;
            struct wmgw_wmio_object o;
            if (wmgw_wmi_putinstance_req_decode(ev->stub, ev->stub_len, &q, NULL) != 0 ||
                wmgw_wmio_decode_unit(q.inst.data, q.inst.len, NULL, &o, NULL) != 0)
                return WMGW_EPROTO;
            s->puts++;
            s->last_put_flags = q.flags;
            const struct wmgw_cim_value *n = wmgw_cim_instance_get(o.inst, "Name");
            snprintf(s->put_name, sizeof(s->put_name), "%s", n && !n->null ? n->u.str : "(null)");
            a.pp_call_result = q.pp_call_result;
            wmgw_wmio_object_dispose(&o);
        } else {
            struct wmgw_wmi_deleteinstance_req q;
            if (wmgw_wmi_deleteinstance_req_decode(ev->stub, ev->stub_len, &q, &s->text, NULL) != 0)
                return WMGW_EPROTO;
            s->deletes++;
            snprintf(s->last_path, sizeof(s->last_path), "%s", q.path);
            a.pp_call_result = q.pp_call_result;
            if (hr == 0 && fk__item_of(s, q.path) == 0)
                hr = WMGW_WBEM_E_NOT_FOUND;
        }
        a.hr = hr;
        rc = wmgw_wmi_callresult_resp_encode(out, &a, NULL);
        break;
    }
    case WMGW_WMI_OP_EXEC_QUERY: {
        struct wmgw_wmi_query_req q;
        struct wmgw_dcom_ptr_resp a;
        memset(&a, 0, sizeof(a));
        if (wmgw_wmi_query_req_decode(ev->stub, ev->stub_len, &q, &s->text, NULL) != 0)
            return WMGW_EPROTO;
        s->queries++;
        snprintf(s->last_query, sizeof(s->last_query), "%s", q.query);
        int slot = -1;
        for (int i = 0; i < FK_MAX_ENUMS && slot < 0; i++)
            if (!s->enums[i].live)
                slot = i;
        if (hr == 0 && (slot < 0 || q.flags != 0x30 || strcmp(q.language, "WQL") != 0))
            hr = WMGW_WBEM_E_INVALID_PARAMETER;
        if (hr == 0) {
            struct fk_enum *e = &s->enums[slot];
            memset(e, 0, sizeof(*e));
            wmgw_uuid_random(&e->ipid);
            e->live = true;
            e->os = cimv2;
            e->total = cimv2 ? 1 : s->nitems;
            fk__objref(&wmgw_dcom_iid_ienum_wbem_class_object, &e->ipid, &objref);
            a.ptr.objref = (const uint8_t *)objref.data;
            a.ptr.len = objref.len;
        }
        a.hr = hr;
        rc = wmgw_dcom_ptr_resp_encode(out, &a, NULL);
        break;
    }
    case WMGW_WMI_OP_EXEC_METHOD: {
        struct wmgw_wmi_execmethod_req q;
        struct wmgw_wmi_execmethod_resp a;
        struct wmgw_cim_proplist outp = {0};
        memset(&a, 0, sizeof(a));
        if (wmgw_wmi_execmethod_req_decode(ev->stub, ev->stub_len, &q, &s->text, NULL) != 0)
            return WMGW_EPROTO;
        s->methods++;
        snprintf(s->last_path, sizeof(s->last_path), "%s", q.path);
        snprintf(s->last_method, sizeof(s->last_method), "%s", q.method);
        int64_t factor = 0;
        if (q.in_params.data != NULL) {
            struct wmgw_wmio_object o;
            if (wmgw_wmio_decode_unit(q.in_params.data, q.in_params.len, NULL, &o, NULL) != 0)
                return WMGW_EPROTO;
            const struct wmgw_cim_value *f = wmgw_cim_instance_get(o.inst, "Factor");
            factor = f && !f->null ? f->u.s : 0;
            wmgw_wmio_object_dispose(&o);
        }
        unsigned id = fk__item_of(s, q.path);
        if (strcmp(q.method, "Scale") == 0 && id != 0) {
            s->last_factor = factor;
            struct wmgw_cim_value v;
            wmgw_cim_value_init_null(&v, WMGW_CIM_SINT64);
            v.null = false;
            v.u.s = factor * id * 1000;
            wmgw_cim_proplist_put(&outp, "Result", &v);
        } else if (strcmp(q.method, "Reset") == 0 && strcmp(q.path, "Test_Item") == 0) {
            s->reset_had_params = q.in_params.data != NULL;
        } else if (hr == 0) {
            hr = id == 0 && strcmp(q.method, "Scale") == 0 ? WMGW_WBEM_E_NOT_FOUND : WMGW_WBEM_E_INVALID_METHOD;
        }
        if (hr == 0) {
            struct wmgw_cim_value rv;
            wmgw_cim_value_init_null(&rv, WMGW_CIM_UINT32);
            rv.null = false;
            rv.u.u = 0;
            wmgw_cim_proplist_put(&outp, "ReturnValue", &rv);
            rc = wmgw_wmio_encode_params(&unit, s->item_cls, q.method, true, &outp, NULL, NULL);
            a.out_params = (struct wmgw_wmi_unit){(const uint8_t *)unit.data, unit.len};
        }
        wmgw_cim_proplist_dispose(&outp);
        a.pp_out_params = q.pp_out_params;
        a.pp_call_result = q.pp_call_result;
        a.hr = hr;
        rc = rc ? rc : wmgw_wmi_execmethod_resp_encode(out, &a, NULL);
        break;
    }
    default:
        rc = WMGW_EPROTO;
    }
    wmgw_buf_dispose(&unit);
    wmgw_buf_dispose(&objref);
    return rc;
}

static int fk__next(struct fk_server *s, const struct wmgw_rpc_event *ev, struct wmgw_buf *out)
{
    struct wmgw_wmi_enum_req q;
    struct fk_enum *e = fk__enum(s, &ev->object);
    if (e == NULL || ev->opnum != WMGW_WMI_OP_ENUM_NEXT || wmgw_wmi_enum_req_decode(ev->stub, ev->stub_len, &q, NULL))
        return WMGW_EPROTO;
    s->nexts++;
    s->last_next_count = q.count;
    s->last_next_timeout = q.timeout;
    uint32_t hr = fk__inject(s, WMGW_WMI_OP_ENUM_NEXT);
    unsigned n = hr ? 0 : (e->total - e->next < q.count ? e->total - e->next : q.count);
    struct wmgw_buf *units = calloc(n ? n : 1, sizeof(*units));
    struct wmgw_wmi_unit *u = calloc(n ? n : 1, sizeof(*u));
    int rc = 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        wmgw_buf_init(&units[i], 1 << 20);
        rc = e->os ? fk__encode_os(s, &units[i]) : fk__encode_item(s, e->next + i + 1, &units[i]);
        u[i] = (struct wmgw_wmi_unit){(const uint8_t *)units[i].data, units[i].len};
    }
    e->next += n;
    struct wmgw_wmi_next_resp a;
    memset(&a, 0, sizeof(a));
    a.count = q.count;
    a.n_objects = n;
    a.objects = u;
    a.hr = hr ? hr : n < q.count ? WMGW_WBEM_S_FALSE : WMGW_WBEM_S_NO_ERROR;
    if (rc == 0)
        rc = wmgw_wmi_next_resp_encode(out, &a, NULL);
    for (unsigned i = 0; i < n; i++)
        wmgw_buf_dispose(&units[i]);
    free(units);
    free(u);
    return rc;
}

static int fk__handle(struct fk_conn *c, const struct wmgw_rpc_event *ev)
{
    struct fk_server *s = c->s;
    struct wmgw_buf out;
    const struct wmgw_uuid *iid = &ev->iface->uuid;
    int rc;
    s->requests++;
    s->last_level = ev->auth_level;
    wmgw_buf_reset(&s->text);
    wmgw_buf_init(&out, 8u << 20);
    if (c->kind == FK_SCM && wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremote_scm_activator))
        rc = fk__activation(s, ev, &out);
    else if (c->kind == FK_SCM)
        rc = WMGW_EPROTO;
    else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown) || wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown2))
        rc = fk__remunknown(s, ev, &out);
    else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_level1_login))
        rc = fk__login(s, ev, &out);
    else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_services))
        rc = fk__services(s, ev, &out);
    else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_ienum_wbem_class_object))
        rc = fk__next(s, ev, &out);
    else
        rc = WMGW_EPROTO;
    if (rc == 0)
        rc = wmgw_rpc_conn_respond(c->rpc, ev->call_id, (const uint8_t *)out.data, out.len, NULL);
    else
        rc = wmgw_rpc_conn_fault(c->rpc, ev->call_id, WMGW_RPC_FAULT_OP_RANGE, NULL);
    wmgw_buf_dispose(&out);
    return rc;
}

/* --- connections ------------------------------------------------------------------------- */

static void fk__close(struct fk_conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    h2o_socket_close(c->sock);
    c->sock = NULL;
}

static void fk__flush(struct fk_conn *c);

static void fk__on_write(h2o_socket_t *sock, const char *err)
{
    struct fk_conn *c = sock->data;
    c->writing = false;
    if (err != NULL) {
        fk__close(c);
        return;
    }
    fk__flush(c);
}

static void fk__flush(struct fk_conn *c)
{
    const uint8_t *data;
    size_t len;
    if (c->closed || c->writing)
        return;
    wmgw_rpc_conn_output(c->rpc, &data, &len);
    if (len == 0)
        return;
    wmgw_buf_reset(&c->wbuf);
    wmgw_buf_add(&c->wbuf, data, len);
    wmgw_rpc_conn_consume(c->rpc, len);
    c->writing = true;
    h2o_iovec_t b = h2o_iovec_init(c->wbuf.data, c->wbuf.len);
    h2o_socket_write(c->sock, &b, 1, fk__on_write);
}

static void fk__on_read(h2o_socket_t *sock, const char *err)
{
    struct fk_conn *c = sock->data;
    if (err != NULL) {
        fk__close(c);
        return;
    }
    if (c->s->silent) {
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    int rc = wmgw_rpc_conn_feed(c->rpc, (const uint8_t *)sock->input->bytes, sock->input->size, NULL);
    h2o_buffer_consume(&sock->input, sock->input->size);
    struct wmgw_rpc_event ev;
    while (rc == 0 && (rc = wmgw_rpc_conn_poll(c->rpc, &ev, NULL)) == 1)
        rc = fk__handle(c, &ev);
    fk__flush(c);
    if (rc < 0 && !c->writing)
        fk__close(c);
}

static void fk__on_accept(h2o_socket_t *listener, const char *err)
{
    struct fk_server *s = listener->data;
    int kind = listener == s->listener[FK_SCM] ? FK_SCM : listener == s->listener[FK_EP] ? FK_EP : FK_OTHER;
    h2o_socket_t *sock;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
        struct fk_conn *c = calloc(1, sizeof(*c));
        struct wmgw_rpc_conn_config cfg = {.server = true,
                                           .sec = &wmgw_rpc_ntlm_ops,
                                           .sec_cfg = &s->ntlm_rpc,
                                           .auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY,
                                           .sec_addr = "49667"};
        c->s = s;
        c->sock = sock;
        c->kind = kind;
        wmgw_buf_init(&c->wbuf, 64u << 20);
        wmgw_rpc_conn_new(&cfg, &c->rpc, NULL);
        static const struct wmgw_uuid *const ifaces[] = {
            &wmgw_dcom_iid_iremote_scm_activator, &wmgw_dcom_iid_iremunknown, &wmgw_dcom_iid_iremunknown2,
            &wmgw_dcom_iid_iwbem_level1_login,   &wmgw_dcom_iid_iwbem_services, &wmgw_dcom_iid_ienum_wbem_class_object};
        for (size_t i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++) {
            struct wmgw_rpc_syntax syn = wmgw_dcom_syntax(ifaces[i]);
            wmgw_rpc_conn_add_iface(c->rpc, &syn);
        }
        c->next = s->conns;
        s->conns = c;
        sock->data = c;
        s->accepted[kind]++;
        h2o_socket_read_start(sock, fk__on_read);
    }
}

/* A socket bound to addr:port (0: any free port), or -1. */
static int fk__bound(const char *addr, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, addr, &a.sin_addr);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static uint16_t fk__listen(struct fk_server *s, int which, const char *addr)
{
    int fd = fk__bound(addr, 0);
    if (fd < 0 || listen(fd, 64) != 0) {
        perror("fake DCOM server");
        exit(2);
    }
    /* FK_OTHER listens on 127.0.0.2 only; its port on 127.0.0.1 is held by
     * a socket that never listens, so a connection there is refused
     * whatever else runs on the machine (test_no_open_proxy). */
    for (int tries = 0; which == FK_OTHER && s->other_guard < 0 && tries < 100; tries++) {
        struct sockaddr_in b;
        socklen_t blen = sizeof(b);
        getsockname(fd, (struct sockaddr *)&b, &blen);
        if ((s->other_guard = fk__bound("127.0.0.1", ntohs(b.sin_port))) < 0) {
            close(fd);
            if ((fd = fk__bound(addr, 0)) < 0 || listen(fd, 64) != 0) {
                perror("fake DCOM server");
                exit(2);
            }
        }
    }
    if (which == FK_OTHER && s->other_guard < 0) {
        fprintf(stderr, "fake DCOM server: no port free on both 127.0.0.1 and %s\n", addr);
        exit(2);
    }
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    s->listener[which] = h2o_evloop_socket_create(s->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    s->listener[which]->data = s;
    h2o_socket_read_start(s->listener[which], fk__on_accept);
    return ntohs(a.sin_port);
}

/* Listens; activation names "FAKEHOST[<endpoint port>]" until the test
 * says otherwise. */
FK_FN void fk_start(struct fk_server *s, h2o_evloop_t *loop)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->other_guard = -1;
    s->port[FK_SCM] = fk__listen(s, FK_SCM, "127.0.0.1");
    s->port[FK_EP] = fk__listen(s, FK_EP, "127.0.0.1");
    s->port[FK_OTHER] = fk__listen(s, FK_OTHER, "127.0.0.2");
    snprintf(s->binding_host, sizeof(s->binding_host), "FAKEHOST");
    s->binding_port = s->port[FK_EP];
    s->nitems = 5;
    wmgw_uuid_random(&s->remunk);
    wmgw_uuid_random(&s->login);
    wmgw_uuid_random(&s->services_test);
    wmgw_uuid_random(&s->services_cimv2);
    s->item_cls = fk__item_class();
    s->os_cls = fk__os_class();
    s->ntlm = (struct wmgw_ntlm_server_config){.nb_computer = "FAKEHOST", .level = WMGW_NTLM_LEVEL_CONNECT,
                                               .lookup = fk__lookup};
    s->ntlm_rpc.server = &s->ntlm;
    wmgw_buf_init(&s->text, 1 << 16);
}

FK_FN unsigned fk_live_enums(const struct fk_server *s)
{
    unsigned n = 0;
    for (int i = 0; i < FK_MAX_ENUMS; i++)
        n += s->enums[i].live;
    return n;
}

FK_FN bool fk_was_released(const struct fk_server *s, const struct wmgw_uuid *ipid)
{
    for (unsigned i = 0; i < s->nreleased; i++)
        if (wmgw_uuid_eq(&s->released[i], ipid))
            return true;
    return false;
}

/* Closes every connection the server has (the client sees them go). */
FK_FN void fk_drop_all(struct fk_server *s)
{
    for (struct fk_conn *c = s->conns; c != NULL; c = c->next)
        fk__close(c);
}

FK_FN void fk_stop(struct fk_server *s)
{
    while (s->conns != NULL) {
        struct fk_conn *c = s->conns;
        s->conns = c->next;
        fk__close(c);
        wmgw_rpc_conn_free(c->rpc);
        wmgw_buf_dispose(&c->wbuf);
        free(c);
    }
    if (s->other_guard >= 0)
        close(s->other_guard);
    for (int i = 0; i < 3; i++) {
        h2o_socket_read_stop(s->listener[i]);
        h2o_socket_close(s->listener[i]);
    }
    wmgw_cim_class_free(s->item_cls);
    wmgw_cim_class_free(s->os_cls);
    wmgw_buf_dispose(&s->text);
    h2o_evloop_run(s->loop, 0);
}

#endif
