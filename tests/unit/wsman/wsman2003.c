/*
 * wsman2003.c: end-to-end tests of the translator against a simulated
 * Windows Server 2003 R2 host (wmsim, --listen ...,dialect=wsman2003) and,
 * beside it, an MS-WSMV host with the same fixtures (classes are fetched
 * from that one: the 2003 dialect cannot describe them).  Covers discovery
 * through the "this" resource, protocol auto-detection for both kinds of
 * host, Get (values equal to the MS-WSMV host's, datetimes included, no
 * cim:Location), Enumerate/Pull in batches with resume, paging, cancel,
 * instances cast to the class enumerated, references without
 * EnumerationMode, Put/Modify (datetimes written the 2003 way), Invoke,
 * faults in their 2005/06 forms, and what the dialect cannot do refused
 * before anything is sent (Create, Delete, classes, filters, queries).
 */
#include "translators/wsman/dialect.h"
#include "cim/datetime.h"

#include "harness.h"

#define OLD "OLD-01" /* the 2003 R2 host, on sim_port */
#define NEW "NEW-01" /* the MS-WSMV host, on sim_port2 */

static struct wmgw_backend *modern, *auto_old, *auto_new;

static struct wmgw_backend *make_backend(const char *name, uint16_t port, enum wmgw_protocol p)
{
    struct wmgw_backend *b = wmgw_backend_new(name);
    b->address = strdup("127.0.0.1");
    b->port = port;
    b->protocol = p;
    b->user = strdup("alice");
    b->password = strdup("Secret-1");
    b->operation_timeout_ms = 5000;
    b->max_envelope_size = 153600;
    b->max_elements = 100;
    return b;
}

static void on(struct sink *s, struct wmgw_backend *b)
{
    s->call.backend = b;
}

/* --- discovery ------------------------------------------------------------------------ */

static void identify(struct wmgw_backend *b, struct sink *s)
{
    sink_init(s, WMGW_OP_IDENTIFY, NULL, NULL);
    on(s, b);
    CHECK_INT(run(s), 0);
}

static void test_identify(void)
{
    long gets = counter_of(OLD, "Get"), ids = counter_of(OLD, "Identify");
    struct sink s;
    identify(backend, &s);
    CHECK(!s.failed);
    CHECK_STR(s.id.vendor, "Microsoft Corporation");
    CHECK(strncmp(s.id.version, "OS: ", 4) == 0 && strstr(s.id.version, " Stack: 1.0") != NULL);
    CHECK_STR(s.id.protocol_version, "http://schemas.xmlsoap.org/ws/2005/06/management");
    CHECK_INT(s.id.protocol, WMGW_PROTO_WSMAN2003);
    sink_dispose(&s);
    /* One Get of the "this" resource, and never an Identify. */
    CHECK_INT(counter_of(OLD, "Get"), gets + 1);
    CHECK_INT(counter_of(OLD, "Identify"), ids);
}

static void test_autodetect(void)
{
    /* A 2003 R2 host: Identify is refused, the "this" resource answers. */
    long faults = counter_of(OLD, "faults"), gets = counter_of(OLD, "Get");
    struct sink s;
    identify(auto_old, &s);
    if (s.failed)
        fprintf(stderr, "auto (2003): %s\n", s.err.message);
    CHECK(!s.failed);
    CHECK_INT(s.id.protocol, WMGW_PROTO_WSMAN2003);
    CHECK_STR(s.id.vendor, "Microsoft Corporation");
    CHECK_INT(counter_of(OLD, "faults"), faults + 1); /* the Identify */
    CHECK_INT(counter_of(OLD, "Get"), gets + 1);
    sink_dispose(&s);
    /* An MS-WSMV host: Identify answers, nothing else is asked. */
    long new_ids = counter_of(NEW, "Identify"), new_gets = counter_of(NEW, "Get");
    identify(auto_new, &s);
    CHECK(!s.failed);
    CHECK_INT(s.id.protocol, WMGW_PROTO_WSMV);
    CHECK(strstr(s.id.version, "Stack: 3.0") != NULL);
    CHECK_INT(counter_of(NEW, "Identify"), new_ids + 1);
    CHECK_INT(counter_of(NEW, "Get"), new_gets);
    sink_dispose(&s);
    /* An MS-WSMV host whose Identify fails: the 2005/06 probe is not
     * understood there, so Identify's own failure is what is reported. */
    ctl_host = NEW;
    ctl_post("fail", "{\"count\":1,\"fault\":\"InternalError\"}");
    identify(auto_new, &s);
    CHECK(s.failed && s.err.code == WMGW_EBACKEND);
    CHECK_STR(s.err.fault_subcode, "w:InternalError");
    sink_dispose(&s);
    /* A 2003 host that refuses the probe too: the probe's answer counts. */
    ctl_host = OLD;
    ctl_post("fail", "{\"count\":2,\"fault\":\"AccessDenied\"}");
    identify(auto_old, &s);
    CHECK(s.failed && s.err.code == WMGW_EACCES);
    sink_dispose(&s);
    ctl_post("clear", NULL);
    /* A wrong password is no answer about dialects: one request, 401. */
    long unauthorized = counter_of(OLD, "unauthorized");
    char *pw = auto_old->password;
    auto_old->password = strdup("wrong");
    identify(auto_old, &s);
    CHECK(s.failed && s.err.http_status == 401);
    CHECK_INT(counter_of(OLD, "unauthorized"), unauthorized + 1);
    sink_dispose(&s);
    free(auto_old->password);
    auto_old->password = pw;
    /* Nobody listening: no second try either. */
    struct wmgw_backend *nobody = make_backend("nobody", free_port(), WMGW_PROTO_AUTO);
    identify(nobody, &s);
    CHECK(s.failed && s.err.code == WMGW_ECONN);
    sink_dispose(&s);
    wmgw_backend_unref(nobody);
}

/* --- what the dialect says about operations ------------------------------------------- */

static void test_caps(void)
{
    unsigned all = wmgw_translator_caps(modern, WMGW_PROTO_AUTO);
    CHECK(all & WMGW_CAP_FILTER && all & WMGW_CAP_CREATE_DELETE && all & WMGW_CAP_CLASS_SCHEMA);
    CHECK_INT(wmgw_translator_caps(backend, WMGW_PROTO_AUTO), 0);
    CHECK_INT(wmgw_translator_caps(backend, WMGW_PROTO_WSMV), 0); /* configured: detection is moot */
    CHECK_INT(wmgw_translator_caps(auto_old, WMGW_PROTO_WSMAN2003), 0);
    CHECK_INT(wmgw_translator_caps(auto_old, WMGW_PROTO_WSMV), all);
    CHECK_INT(wmgw_translator_caps(auto_old, WMGW_PROTO_AUTO), all); /* MS-WSMV until detected */
    CHECK_INT(wmgw_translator_for(WMGW_PROTO_WSMAN2003)->caps_for(backend), 0);
}

static void refused(enum wmgw_op_kind kind, const char *ns, const char *cls, int code, const char *words)
{
    long requests = counter_of(OLD, "requests");
    struct sink s;
    sink_init(&s, kind, ns, cls);
    struct wmgw_cim_ref *r = ref2(ns ? ns : "root/cimv2", cls ? cls : "Win32_Environment", "Name", "Path",
                                  "UserName", "<SYSTEM>");
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(cls ? cls : "Win32_Environment", ns);
    struct wmgw_cim_value v = string("x");
    wmgw_cim_proplist_put(&inst->props, "Name", &v);
    s.call.op.ref = r;
    s.call.op.instance = inst;
    CHECK_INT(wmgw_call_start(&s.call), code);
    CHECK(!s.done);
    CHECK_INT(s.call.start_error.code, code);
    if (strstr(s.call.start_error.message, words) == NULL)
        CHECK_STR(s.call.start_error.message, words);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    wmgw_cim_instance_unref(inst);
    spin(50);
    CHECK_INT(counter_of(OLD, "requests"), requests); /* nothing was sent */
}

static void test_refused(void)
{
    const char *cd = "the Windows Server 2003 R2 WS-Management dialect cannot create or delete CIM instances";
    refused(WMGW_OP_CREATE, "root/cimv2", "Win32_Environment", WMGW_ENOTALLOWED, cd);
    refused(WMGW_OP_DELETE, "root/cimv2", "Win32_Environment", WMGW_ENOTALLOWED, cd);
    refused(WMGW_OP_GET_CLASS, "root/cimv2", "Win32_Service", WMGW_EUNSUPPORTED,
            "the Windows Server 2003 R2 WS-Management dialect cannot retrieve class definitions");
    /* No filter is ever sent: filtered or projected enumerations and
     * queries are the gateway's to evaluate. */
    static const char *const wql[] = {"SELECT * FROM Win32_Service WHERE State = 'Running'",
                                      "SELECT Name FROM Win32_Service",
                                      "ASSOCIATORS OF {Win32_Service.Name='WinRM'}"};
    for (int i = 0; i < 3; i++) {
        struct wmgw_wql_query *q = NULL;
        struct wmgw_err err;
        CHECK_INT(wmgw_wql_parse(wql[i], strlen(wql[i]), &q, &err), 0);
        long requests = counter_of(OLD, "requests");
        struct sink s;
        sink_init(&s, i < 2 ? WMGW_OP_ENUMERATE : WMGW_OP_QUERY, "root/cimv2", i < 2 ? "Win32_Service" : NULL);
        s.call.op.query = q;
        CHECK_INT(wmgw_call_start(&s.call), WMGW_EUNSUPPORTED);
        CHECK(strstr(s.call.start_error.message, "Windows Server 2003 R2") != NULL);
        CHECK(!s.done);
        sink_dispose(&s);
        wmgw_wql_query_free(q);
        CHECK_INT(counter_of(OLD, "requests"), requests);
    }
}

/* --- instances ------------------------------------------------------------------------- */

static void get_class(const char *ns, const char *name)
{
    struct sink s;
    sink_init(&s, WMGW_OP_GET_CLASS, ns, name);
    on(&s, modern);
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.cls != NULL);
    sink_dispose(&s); /* keeps the class for typing */
}

/* The same instance from both hosts; *old and *new owned by the caller. */
static void get_both(const char *ns, struct wmgw_cim_ref *r, struct wmgw_cim_instance **old,
                     struct wmgw_cim_instance **new)
{
    for (int k = 0; k < 2; k++) {
        struct sink s;
        sink_init(&s, WMGW_OP_GET, ns, r->class_name);
        if (k == 1)
            on(&s, modern);
        s.call.op.ref = r;
        CHECK_INT(run(&s), 0);
        if (s.failed)
            fprintf(stderr, "Get %s (%s): %s\n", r->class_name, k ? NEW : OLD, s.err.message);
        CHECK(!s.failed && s.nkept == 1);
        *(k ? new : old) = s.nkept == 1 ? s.items[0] : NULL;
        if (s.nkept == 1)
            s.nkept = 0; /* handed over */
        sink_dispose(&s);
    }
}

/* Datetimes: one instant whatever the spelling (MS-WSMV writes UTC, the
 * 2003 dialect the DMTF string with the host's offset). */
static bool same_value(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b)
{
    if (a->type != b->type || a->null != b->null)
        return false;
    if (a->null || WMGW_CIM_BASETYPE(a->type) != WMGW_CIM_DATETIME)
        return wmgw_cim_value_equal(a, b);
    size_t n = WMGW_CIM_IS_ARRAY(a->type) ? a->u.arr.n : 1;
    if (WMGW_CIM_IS_ARRAY(a->type) && b->u.arr.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *x = WMGW_CIM_IS_ARRAY(a->type) ? a->u.arr.v[i].u.str : a->u.str;
        const char *y = WMGW_CIM_IS_ARRAY(b->type) ? b->u.arr.v[i].u.str : b->u.str;
        struct wmgw_buf bx, by;
        wmgw_buf_init(&bx, 256);
        wmgw_buf_init(&by, 256);
        wmgw_cim_datetime_format_iso(x, &bx);
        wmgw_cim_datetime_format_iso(y, &by);
        bool same = bx.data && by.data && strcmp(bx.data, by.data) == 0;
        wmgw_buf_dispose(&bx);
        wmgw_buf_dispose(&by);
        if (!same)
            return false;
    }
    return true;
}

static void check_same(const struct wmgw_cim_instance *old, const struct wmgw_cim_instance *new)
{
    CHECK(old && new);
    if (!old || !new)
        return;
    CHECK_STR(old->class_name, new->class_name);
    CHECK_INT(old->props.n, new->props.n);
    CHECK(wmgw_cim_instance_get(old, "Location") == NULL);
    for (size_t i = 0; i < new->props.n; i++) {
        const struct wmgw_cim_value *o = wmgw_cim_instance_get(old, new->props.items[i].name);
        if (o == NULL || !same_value(o, &new->props.items[i].value)) {
            fprintf(stderr, "%s.%s differs\n", new->class_name, new->props.items[i].name);
            CHECK(!"same value");
        }
    }
}

static void test_get(void)
{
    get_class("root/cimv2", "Win32_Service");
    get_class("root/cimv2", "Win32_BaseService");
    get_class("root/cimv2", "Win32_Environment");
    get_class("root/cimv2", "Win32_OperatingSystem");
    get_class("root/test", "Sim_AllTypes");
    get_class("root/test", "Sim_Item");
    get_class("root/test", "Sim_Bench");
    struct wmgw_cim_ref *refs[] = {
        ref2("root/cimv2", "Win32_Environment", "Name", "Path", "UserName", "NT AUTHORITY\\SYSTEM"),
        wmgw_cim_ref_new("root/cimv2", "Win32_OperatingSystem"),
        ref2("root/test", "Sim_AllTypes", "Id", "edge", NULL, NULL),
        ref2("root/test", "Sim_AllTypes", "Id", "nulls", NULL, NULL),
        ref2("root/cimv2", "Win32_Service", "Name", "WinRM", NULL, NULL),
    };
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        struct wmgw_cim_instance *old = NULL, *new = NULL;
        get_both(refs[i]->namespace_, refs[i], &old, &new);
        /* Every host has its own name and sizes: compare what they share. */
        const char *shared = strcmp(refs[i]->class_name, "Win32_OperatingSystem") == 0 ? "Version"
                             : strcmp(refs[i]->class_name, "Win32_Service") == 0   ? "State"
                                                                                   : NULL;
        if (shared != NULL && old != NULL && new != NULL) {
            CHECK(old->props.n == new->props.n && wmgw_cim_instance_get(old, "Location") == NULL);
            const struct wmgw_cim_value *a = val(old, shared), *b = val(new, shared);
            CHECK(a && b && same_value(a, b));
        } else if (shared == NULL) {
            check_same(old, new);
        }
        if (old && strcmp(refs[i]->class_name, "Sim_AllTypes") == 0 && strcmp(sval(old, "Id"), "edge") == 0) {
            const struct wmgw_cim_value *dt = val(old, "PDatetime");
            /* The 2003 dialect keeps the host's offset (DMTF string). */
            CHECK(dt && dt->type == WMGW_CIM_DATETIME && strcmp(dt->u.str, "20240131235959.123456-300") == 0);
        }
        wmgw_cim_instance_unref(old);
        wmgw_cim_instance_unref(new);
        wmgw_cim_ref_free(refs[i]);
    }
}

static void test_enumerate(void)
{
    for (int mode = 0; mode < 2; mode++) {
        long enums = counter("Enumerate"), pulls = counter("Pull");
        struct sink s;
        sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
        s.resume_mode = mode;
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        CHECK_INT(s.nitems, 2000);
        CHECK(s.ordered);
        /* No OptimizeEnumeration: the EnumerateResponse holds no items,
         * each Pull up to 100 (fewer when cim:Location makes them too big
         * for the envelope); the last one ends without on_batch. */
        CHECK_INT(counter("Enumerate"), enums + 1);
        CHECK_INT(counter("Pull"), pulls + s.batches + 1);
        CHECK(s.batches >= 19 && s.max_batch <= 100);
        if (s.nkept > 0)
            CHECK(val(s.items[0], "Value") && val(s.items[0], "Value")->type == WMGW_CIM_UINT64);
        sink_dispose(&s);
    }
    /* A base class: the 2003 host casts every instance of its subclasses
     * to it (MS-WSMAN §3.1.4.1.28); the MS-WSMV host answers each as its
     * own class. */
    static const char *const classes_of[] = {"Win32_BaseService", "Win32_Service", "Win32_SystemDriver"};
    size_t n[3] = {0, 0, 0};
    for (int k = 0; k < 4; k++) {
        struct sink s;
        sink_init(&s, WMGW_OP_ENUMERATE, "root/cimv2", classes_of[k % 3]);
        if (k == 3)
            on(&s, modern);
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        if (k < 3)
            n[k] = s.nitems;
        bool derived = false;
        for (size_t i = 0; i < s.nkept; i++) {
            derived |= strcmp(s.items[i]->class_name, classes_of[k % 3]) != 0;
            if (k == 0)
                CHECK(val(s.items[i], "ProcessId") == NULL); /* a Win32_Service property */
        }
        CHECK(k == 3 ? derived : !derived);
        sink_dispose(&s);
    }
    CHECK(n[0] > 0 && n[0] == n[1] + n[2]);
    /* References: no EnumerationMode, so the translator makes them from
     * the instances of the class it was told. */
    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/cimv2", "Win32_Service");
    s.call.op.refs_only = true;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nrefs > 0 && s.nitems == 0);
    if (s.ref) {
        CHECK_STR(s.ref->class_name, "Win32_Service");
        CHECK(wmgw_cim_proplist_find(&s.ref->keys, "Name") != NULL);
    }
    sink_dispose(&s);
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Unknown");
    s.call.op.refs_only = true;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EUNSUPPORTED); /* class unknown: no paths */
    sink_dispose(&s);
}

static void test_paging_cancel(void)
{
    long releases = settled_counter("Release");
    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.limit = 250;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 250 && s.cursor != NULL);
    char *cursor = s.cursor ? strdup(s.cursor) : NULL;
    sink_dispose(&s);
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.limit = 250;
    s.call.op.cursor = cursor;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 250 && s.ordered);
    if (s.nkept > 0)
        CHECK(val(s.items[0], "Id") && val(s.items[0], "Id")->u.u == 250);
    sink_dispose(&s);
    free(cursor);
    /* Cancel between batches: the context is released. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.cancel_at_batch = 2;
    CHECK_INT(run(&s), 0);
    CHECK(s.cancelled && s.nitems > 0 && s.nitems <= 200);
    sink_dispose(&s);
    /* The cursor's context was handed out (no Release); this one was not. */
    CHECK_INT(wait_counter("Release", releases + 1), releases + 1);
}

static void test_modify(void)
{
    /* A string, and a datetime that travels as CIM_DateTimeString. */
    struct wmgw_cim_ref *r = ref2("root/test", "Sim_AllTypes", "Id", "edge", NULL, NULL);
    struct wmgw_cim_instance *change = wmgw_cim_instance_new("Sim_AllTypes", "root/test");
    struct wmgw_cim_value v = string("changed <&> by the 2003 dialect");
    wmgw_cim_proplist_put(&change->props, "PString", &v);
    wmgw_cim_value_init_null(&v, WMGW_CIM_DATETIME);
    wmgw_cim_value_set_string(&v, strdup("20050607080910.123456+060"));
    v.type = WMGW_CIM_DATETIME;
    wmgw_cim_proplist_put(&change->props, "PDatetime", &v);
    long puts = counter("Put");
    struct sink s;
    sink_init(&s, WMGW_OP_MODIFY, "root/test", "Sim_AllTypes");
    s.call.op.ref = r;
    s.call.op.instance = change;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "modify: %s\n", s.err.message);
    CHECK(!s.failed && s.nkept == 1);
    CHECK_INT(counter("Put"), puts + 1);
    sink_dispose(&s);
    sink_init(&s, WMGW_OP_GET, "root/test", "Sim_AllTypes");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nkept == 1);
    if (s.nkept == 1) {
        CHECK_STR(sval(s.items[0], "PString"), "changed <&> by the 2003 dialect");
        const struct wmgw_cim_value *dt = val(s.items[0], "PDatetime");
        CHECK(dt && dt->type == WMGW_CIM_DATETIME && strcmp(dt->u.str, "20050607080910.123456+060") == 0);
        CHECK(val(s.items[0], "Location") == NULL);
    }
    sink_dispose(&s);
    wmgw_cim_instance_unref(change);
    wmgw_cim_ref_free(r);
}

static uint64_t out_u(const struct sink *s, const char *name)
{
    const struct wmgw_cim_prop *p = s->out ? wmgw_cim_proplist_find(s->out, name) : NULL;
    CHECK(p != NULL && !p->value.null);
    return p && !p->value.null ? p->value.u.u : 0xdeadbeef;
}

static void test_invoke(void)
{
    get_class("root/cimv2", "Win32_Process");
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Service", "Name", "BITS", NULL, NULL);
    static const struct {
        const char *method;
        unsigned rv;
    } steps[] = {{"StartService", 0}, {"StartService", 10}, {"StopService", 0}};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct sink s;
        sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Service");
        s.call.op.ref = r;
        s.call.op.method = steps[i].method;
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        CHECK_INT(out_u(&s, "ReturnValue"), steps[i].rv);
        sink_dispose(&s);
    }
    wmgw_cim_ref_free(r);
    /* Static, with datetimes both ways. */
    struct wmgw_cim_proplist in = {0};
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_DATETIME);
    wmgw_cim_value_set_string(&v, strdup("20030424120000.000000-480"));
    v.type = WMGW_CIM_DATETIME;
    wmgw_cim_proplist_put(&in, "PDatetime", &v);
    wmgw_cim_value_init_null(&v, WMGW_CIM_DATETIME);
    wmgw_cim_value_set_string(&v, strdup("00000001020304.500000:000"));
    v.type = WMGW_CIM_DATETIME;
    wmgw_cim_proplist_put(&in, "PInterval", &v);
    struct sink s;
    sink_init(&s, WMGW_OP_INVOKE, "root/test", "Sim_AllTypes");
    s.call.op.method = "Echo";
    s.call.op.params = &in;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "Echo: %s\n", s.err.message);
    CHECK(!s.failed && s.out != NULL);
    const struct wmgw_cim_prop *p = s.out ? wmgw_cim_proplist_find(s.out, "PDatetime") : NULL;
    CHECK(p && p->value.type == WMGW_CIM_DATETIME && strcmp(p->value.u.str, "20030424120000.000000-480") == 0);
    p = s.out ? wmgw_cim_proplist_find(s.out, "PInterval") : NULL;
    CHECK(p && p->value.type == WMGW_CIM_DATETIME && strcmp(p->value.u.str, "00000001020304.500000:000") == 0);
    sink_dispose(&s);
    wmgw_cim_proplist_dispose(&in);
}

static int get_after(const char *action, const char *body, struct wmgw_backend_error *out)
{
    if (action != NULL)
        ctl_post(action, body);
    struct sink s;
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_OperatingSystem");
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_OperatingSystem");
    s.call.op.ref = r;
    int rc = run(&s);
    int code = rc != 0 ? rc : s.failed ? s.err.code : 0;
    if (out)
        *out = s.err;
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    ctl_post("clear", NULL);
    return code;
}

static void test_faults(void)
{
    /* A missing instance, in the 2005/06 forms (MS-WSMAN §4.3). */
    struct sink s;
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Service");
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Service", "Name", "NoSuchService", NULL, NULL);
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND && s.err.http_status == 500);
    CHECK_STR(s.err.fault_subcode, "a:DestinationUnreachable");
    CHECK_STR(s.err.fault_detail, "wsman:faultDetail/ResourceNotFound");
    CHECK(s.err.has_wsman_code && !s.err.has_wmi); /* no MSFT_WmiError before WinRM 3.0 */
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    /* An unknown class: WMI's words, through the provider's fault. */
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_NoSuchClass");
    r = ref2("root/cimv2", "Win32_NoSuchClass", "Name", "x", NULL, NULL);
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND);
    CHECK(strstr(s.err.message, "class does not exist") != NULL);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    struct wmgw_backend_error e;
    CHECK_INT(get_after("fail", "{\"count\":1,\"fault\":\"AccessDenied\"}", &e), WMGW_EACCES);
    CHECK(e.has_wsman_code && e.wsman_code == 5);
    CHECK_INT(get_after("fail", "{\"count\":1,\"fault\":\"InvalidParameter\"}", &e), WMGW_EINVAL);
    CHECK_INT(get_after("fail", "{\"count\":1,\"fault\":\"FilteringNotSupported\"}", &e), WMGW_EUNSUPPORTED);
    unsigned saved = backend->operation_timeout_ms;
    backend->operation_timeout_ms = 500;
    CHECK_INT(get_after("latency", "{\"ms\":1500}", &e), WMGW_ETIMEDOUT);
    backend->operation_timeout_ms = saved;
    CHECK_INT(get_after(NULL, NULL, NULL), 0);
    /* An expired context: 410, and nothing to release. */
    long releases = settled_counter("Release");
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.cursor = "wsman:uuid:00000000-0000-0000-0000-000000000000";
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EGONE);
    sink_dispose(&s);
    spin(200);
    CHECK_INT(counter("Release"), releases);
}

/* An auto host is spoken to in the dialect the gateway says it detected. */
static void test_auto_protocol(void)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/cimv2", "Win32_OperatingSystem");
    for (int k = 0; k < 2; k++) {
        struct sink s;
        sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_OperatingSystem");
        on(&s, auto_old);
        s.call.op.ref = r;
        s.call.protocol = k ? WMGW_PROTO_WSMAN2003 : WMGW_PROTO_AUTO;
        CHECK_INT(run(&s), 0);
        if (k == 1) {
            CHECK(!s.failed && s.nkept == 1);
        } else {
            /* Taken for MS-WSMV: the 2003 host does not understand it. */
            CHECK(s.failed && s.err.code == WMGW_EBACKEND);
            CHECK_STR(s.err.fault_code, "s:MustUnderstand");
        }
        sink_dispose(&s);
    }
    wmgw_cim_ref_free(r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!start_sim_with(",name=" OLD ",dialect=wsman2003", ",name=" NEW)) {
        fprintf(stderr, "the simulator (WMSIM_BIN=%s) did not start\n", getenv("WMSIM_BIN") ? getenv("WMSIM_BIN") : "");
        stop_sim();
        return 1;
    }
    ctl_host = OLD;
    loop = h2o_evloop_create();
    tp = wmgw_transport_new(loop);
    backend = make_backend(OLD, sim_port, WMGW_PROTO_WSMAN2003);
    modern = make_backend(NEW, sim_port2, WMGW_PROTO_WSMV);
    auto_old = make_backend("auto-old", sim_port, WMGW_PROTO_AUTO);
    auto_new = make_backend("auto-new", sim_port2, WMGW_PROTO_AUTO);
    WMGW_TEST_RUN(test_identify);
    WMGW_TEST_RUN(test_autodetect);
    WMGW_TEST_RUN(test_caps);
    WMGW_TEST_RUN(test_refused);
    WMGW_TEST_RUN(test_get);
    WMGW_TEST_RUN(test_enumerate);
    WMGW_TEST_RUN(test_paging_cancel);
    WMGW_TEST_RUN(test_modify);
    WMGW_TEST_RUN(test_invoke);
    WMGW_TEST_RUN(test_faults);
    WMGW_TEST_RUN(test_auto_protocol);
    spin(100);
    wmgw_transport_free(tp);
    for (size_t i = 0; i < nclasses; i++)
        wmgw_cim_class_free(classes[i]);
    wmgw_backend_unref(backend);
    wmgw_backend_unref(modern);
    wmgw_backend_unref(auto_old);
    wmgw_backend_unref(auto_new);
    h2o_evloop_destroy(loop);
    stop_sim();
    return WMGW_TEST_DONE();
}
