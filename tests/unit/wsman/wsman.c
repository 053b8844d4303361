/*
 * wsman.c: end-to-end tests of translators/wsman/wsman.c against the real
 * simulator: build/wmsim runs as a child process (WMSIM_BIN; skipped when
 * absent), the translator runs on a real h2o event loop with the real
 * transport, and the simulator's control interface injects faults and
 * reports counters (Release).  Covers Identify, GetClass, Get (composite
 * key with a backslash, a singleton), Enumerate in batches with resume,
 * filtered and projected Enumerate, ASSOCIATORS / REFERENCES OF, paging
 * with a cursor, cancel -> Release, Create / Modify / Delete, static and
 * instance methods, and every failure kind.
 */
#include "translators/wsman/dialect.h"

#include "harness.h"

/* --- tests ------------------------------------------------------------------------- */

static void test_identify(void)
{
    struct sink s;
    sink_init(&s, WMGW_OP_IDENTIFY, NULL, NULL);
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_STR(s.id.vendor, "Microsoft Corporation");
    CHECK(strncmp(s.id.version, "OS: ", 4) == 0 && strstr(s.id.version, "Stack: 3.0") != NULL);
    CHECK_STR(s.id.protocol_version, wmgw_wsman_dialect_wsmv.ns_wsman);
    sink_dispose(&s);
}

static void get_class(const char *ns, const char *name)
{
    struct sink s;
    sink_init(&s, WMGW_OP_GET_CLASS, ns, name);
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.cls != NULL);
    sink_dispose(&s); /* keeps the class for later typing */
}

static void test_get_class(void)
{
    get_class("root/cimv2", "Win32_Service");
    get_class("root/test", "Sim_AllTypes");
    get_class("root/test", "Sim_Item");
    get_class("root/test", "Sim_Bench");
    get_class("root/cimv2", "Win32_Environment");
    get_class("root/cimv2", "Win32_Process");
    get_class("root/cimv2", "Win32_OperatingSystem");
    const struct wmgw_cim_class *svc = known("Win32_Service"), *all = known("Sim_AllTypes");
    CHECK(svc != NULL && all != NULL);
    if (svc == NULL || all == NULL)
        return;
    CHECK_STR(svc->namespace_, "root/cimv2");
    for (size_t i = 1; i < svc->nprops; i++)
        CHECK(strcasecmp(svc->props[i - 1].name, svc->props[i].name) < 0);
    const struct wmgw_cim_propdecl *name = wmgw_cim_class_prop(svc, "Name");
    CHECK(name && (name->flags & WMGW_CIM_Q_KEY) && name->type == WMGW_CIM_STRING);
    CHECK(wmgw_cim_class_method(svc, "StartService") != NULL && wmgw_cim_class_method(svc, "StopService") != NULL);
    CHECK(all->flags & WMGW_CIM_Q_SUPPORTS_CREATE);
    const struct wmgw_cim_propdecl *p = wmgw_cim_class_prop(all, "PObject");
    CHECK(p && p->type == WMGW_CIM_OBJECT && p->ref_class && strcmp(p->ref_class, "Sim_Item") == 0);
    p = wmgw_cim_class_prop(all, "PRef");
    CHECK(p && p->type == WMGW_CIM_REFERENCE);
    p = wmgw_cim_class_prop(all, "AUint64");
    CHECK(p && p->type == (WMGW_CIM_UINT64 | WMGW_CIM_ARRAY));
    p = wmgw_cim_class_prop(all, "Id");
    CHECK(p && p->description && strstr(p->description, "edge") != NULL);
    const struct wmgw_cim_method *echo = wmgw_cim_class_method(all, "Echo");
    CHECK(echo && (echo->flags & WMGW_CIM_Q_STATIC) && echo->return_type == WMGW_CIM_UINT32);
    /* No such class: 404. */
    struct sink s;
    sink_init(&s, WMGW_OP_GET_CLASS, "root/cimv2", "Win32_NoSuchThing");
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND);
    sink_dispose(&s);
}

static void test_get(void)
{
    struct sink s;
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Environment");
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Environment", "Name", "Path", "UserName", "NT AUTHORITY\\SYSTEM");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nkept == 1);
    if (s.nkept == 1) {
        CHECK_STR(sval(s.items[0], "VariableValue"), "%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;");
        const struct wmgw_cim_value *sv = val(s.items[0], "SystemVariable");
        CHECK(sv && sv->type == WMGW_CIM_BOOLEAN && !sv->u.b);
    }
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    /* A singleton: no selectors at all. */
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_OperatingSystem");
    r = wmgw_cim_ref_new("root/cimv2", "Win32_OperatingSystem");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nkept == 1);
    if (s.nkept == 1)
        CHECK(sval(s.items[0], "Version") != NULL);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    /* Every type, typed by the class from GetClass. */
    sink_init(&s, WMGW_OP_GET, "root/test", "Sim_AllTypes");
    r = ref2("root/test", "Sim_AllTypes", "Id", "edge", NULL, NULL);
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "Sim_AllTypes edge: %s\n", s.err.message);
    CHECK(!s.failed && s.nkept == 1);
    if (s.nkept == 1) {
        CHECK_STR(sval(s.items[0], "PString"), "<&>\"' \xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xce\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80");
        const struct wmgw_cim_value *v = val(s.items[0], "PUint64");
        CHECK(v && v->type == WMGW_CIM_UINT64 && v->u.u == UINT64_MAX);
        v = val(s.items[0], "PObject");
        CHECK(v && v->type == WMGW_CIM_OBJECT && !v->null && strcmp(v->u.obj->class_name, "Sim_Item") == 0);
        v = val(s.items[0], "AUint64");
        CHECK(v && v->type == (WMGW_CIM_UINT64 | WMGW_CIM_ARRAY) && v->u.arr.n == 3);
        v = val(s.items[0], "PRef");
        CHECK(v && v->type == WMGW_CIM_REFERENCE && !v->null && strcmp(v->u.ref->class_name, "Sim_Item") == 0);
    }
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
}

static void test_enumerate_batches(void)
{
    backend->max_elements = 100;
    for (int mode = 0; mode < 2; mode++) {
        struct sink s;
        sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
        s.resume_mode = mode;
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        CHECK_INT(s.nitems, 2000);
        CHECK(s.ordered);
        CHECK_INT(s.batches, 19); /* 20 envelopes; the last one ends without on_batch */
        CHECK(s.max_batch <= 100);
        if (s.nkept > 0) {
            const struct wmgw_cim_value *v = val(s.items[0], "Value");
            CHECK(v && v->type == WMGW_CIM_UINT64);
            CHECK_STR(sval(s.items[0], "Name"), "bench-0");
        }
        sink_dispose(&s);
    }
}

static void test_filtered(void)
{
    struct wmgw_wql_query *q = NULL;
    const char *text = "SELECT Name, State FROM Win32_Service WHERE State = 'Running' AND Name <> 'it''s'";
    struct wmgw_err err;
    if (wmgw_wql_parse(text, strlen(text), &q, &err) != 0) {
        text = "SELECT Name, State FROM Win32_Service WHERE State = 'Running' AND Name <> 'it\\'s <&>'";
        CHECK_INT(wmgw_wql_parse(text, strlen(text), &q, &err), 0);
    }
    /* Count the running services the long way. */
    struct sink all;
    sink_init(&all, WMGW_OP_ENUMERATE, "root/cimv2", "Win32_Service");
    CHECK_INT(run(&all), 0);
    size_t running = 0;
    CHECK(all.nitems == all.nkept && all.nitems > 0);
    for (size_t i = 0; i < all.nkept; i++)
        running += sval(all.items[i], "State") && strcmp(sval(all.items[i], "State"), "Running") == 0;
    sink_dispose(&all);

    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/cimv2", "Win32_Service");
    s.call.op.query = q;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "filtered: %s\n", s.err.message);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, running);
    for (size_t i = 0; i < s.nkept; i++) {
        CHECK_INT(s.items[i]->props.n, 2);
        CHECK_STR(sval(s.items[i], "State"), "Running");
        CHECK_STR(s.items[i]->class_name, "Win32_Service");
    }
    sink_dispose(&s);
    wmgw_wql_query_free(q);
}

static void test_associators(void)
{
    static const char *const texts[] = {"ASSOCIATORS OF {Sim_Item.Id=1} WHERE ResultClass = Sim_Item",
                                        "REFERENCES OF {Sim_Item.Id=1}"};
    for (int k = 0; k < 2; k++) {
        struct wmgw_wql_query *q = NULL;
        struct wmgw_err err;
        CHECK_INT(wmgw_wql_parse(texts[k], strlen(texts[k]), &q, &err), 0);
        struct sink s;
        sink_init(&s, WMGW_OP_QUERY, "root/test", NULL);
        s.call.op.query = q;
        CHECK_INT(run(&s), 0);
        if (s.failed)
            fprintf(stderr, "%s: %s\n", texts[k], s.err.message);
        CHECK(!s.failed);
        if (k == 0) {
            /* Sim_Link: 1-2, 1-3, 3-1 and (odd hosts) 4-1: items 2, 3, 4; typed by lookup. */
            CHECK_INT(s.nitems, 3);
            for (size_t i = 0; i < s.nkept; i++) {
                CHECK_STR(s.items[i]->class_name, "Sim_Item");
                const struct wmgw_cim_value *id = val(s.items[i], "Id");
                CHECK(id && id->type == WMGW_CIM_UINT32 && id->u.u >= 2 && id->u.u <= 4);
            }
        } else {
            /* Links naming item 1, of a class the gateway does not know: untyped. */
            CHECK_INT(s.nitems, 4);
            for (size_t i = 0; i < s.nkept; i++) {
                CHECK_STR(s.items[i]->class_name, "Sim_Link");
                const struct wmgw_cim_value *w = val(s.items[i], "Weight");
                CHECK(w && w->type == WMGW_CIM_STRING);
                const struct wmgw_cim_value *l = val(s.items[i], "Left");
                CHECK(l && l->type == WMGW_CIM_REFERENCE);
            }
        }
        sink_dispose(&s);
        wmgw_wql_query_free(q);
    }
}

static void test_paging(void)
{
    backend->max_elements = 100;
    long releases = settled_counter("Release");
    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.limit = 250;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 250);
    CHECK(s.cursor != NULL && strncmp(s.cursor, "wsman:", 6) == 0);
    CHECK_INT(s.last_id, 249);
    char *cursor = s.cursor ? strdup(s.cursor) : NULL;
    sink_dispose(&s);
    /* Continue where it stopped. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.limit = 250;
    s.call.op.cursor = cursor;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 250);
    if (s.nkept > 0) {
        const struct wmgw_cim_value *id = val(s.items[0], "Id");
        CHECK(id && id->u.u == 250);
    }
    CHECK(s.ordered);
    CHECK(s.cursor != NULL);
    sink_dispose(&s);
    free(cursor);
    CHECK_INT(counter("Release"), releases); /* a cursor keeps the context */
    /* A limit without a cursor consumer releases what remains. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.sink = &ops_no_cursor;
    s.call.op.limit = 30;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 30);
    sink_dispose(&s);
    CHECK_INT(wait_counter("Release", releases + 1), releases + 1);
    /* A bad cursor is refused at start, without calling the sink. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.cursor = "nonsense";
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EINVAL);
    CHECK(!s.done);
    sink_dispose(&s);
    /* An expired (unknown) context is 410. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.call.op.cursor = "wsman:uuid:00000000-0000-0000-0000-000000000000";
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EGONE);
    sink_dispose(&s);
}

static void test_cancel(void)
{
    backend->max_elements = 100;
    long releases = counter("Release");
    /* Between batches. */
    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.cancel_at_batch = 2;
    CHECK_INT(run(&s), 0);
    CHECK(s.cancelled && s.nitems == 200);
    sink_dispose(&s);
    CHECK_INT(wait_counter("Release", releases + 1), releases + 1);
    /* Inside on_instance, mid-envelope. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.cancel_at = 150;
    CHECK_INT(run(&s), 0);
    CHECK(s.cancelled && s.nitems == 150);
    sink_dispose(&s);
    CHECK_INT(wait_counter("Release", releases + 2), releases + 2);
    /* With a Pull in flight: its reply is awaited, then released. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.resume_mode = 1;
    s.cancel_at_batch = 0;
    CHECK_INT(wmgw_call_start(&s.call), 0);
    while (s.batches < 1)
        h2o_evloop_run(loop, 10);
    wmgw_call_resume(&s.call); /* Pull sent */
    wmgw_call_cancel(&s.call);
    sink_dispose(&s);
    CHECK_INT(wait_counter("Release", releases + 3), releases + 3);
}

static void test_create_modify_delete(void)
{
    const char *name = "WMGW_Test_<&>\"'";
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    struct wmgw_cim_value v = string(name);
    wmgw_cim_proplist_put(&inst->props, "Name", &v);
    v = string("<SYSTEM>");
    wmgw_cim_proplist_put(&inst->props, "UserName", &v);
    v = string("C:\\first ]]> \xc3\xbc");
    wmgw_cim_proplist_put(&inst->props, "VariableValue", &v);
    struct sink s;
    sink_init(&s, WMGW_OP_CREATE, "root/cimv2", "Win32_Environment");
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "create: %s\n", s.err.message);
    CHECK(!s.failed && s.ref != NULL);
    struct wmgw_cim_ref *created = s.ref;
    s.ref = NULL;
    if (created) {
        CHECK_STR(created->class_name, "Win32_Environment");
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&created->keys, "Name");
        CHECK(k && strcmp(k->value.u.str, name) == 0);
    }
    sink_dispose(&s);
    /* Creating it again: 409. */
    sink_init(&s, WMGW_OP_CREATE, "root/cimv2", "Win32_Environment");
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EEXIST);
    sink_dispose(&s);
    wmgw_cim_instance_unref(inst);
    if (created == NULL)
        return;
    /* Modify exactly one property. */
    struct wmgw_cim_instance *change = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    v = string("second & <last>");
    wmgw_cim_proplist_put(&change->props, "VariableValue", &v);
    sink_init(&s, WMGW_OP_MODIFY, "root/cimv2", "Win32_Environment");
    s.call.op.ref = created;
    s.call.op.instance = change;
    long puts = counter("Put");
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "modify: %s\n", s.err.message);
    CHECK(!s.failed && s.nkept == 1);
    if (s.nkept == 1) {
        CHECK_STR(sval(s.items[0], "VariableValue"), "second & <last>");
        CHECK_STR(sval(s.items[0], "UserName"), "<SYSTEM>");
    }
    CHECK_INT(counter("Put"), puts + 1);
    sink_dispose(&s);
    wmgw_cim_instance_unref(change);
    /* Get sees it; Delete removes it; Get is then 404, Delete too. */
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Environment");
    s.call.op.ref = created;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nkept == 1 && strcmp(sval(s.items[0], "VariableValue"), "second & <last>") == 0);
    sink_dispose(&s);
    for (int i = 0; i < 2; i++) {
        sink_init(&s, WMGW_OP_DELETE, "root/cimv2", "Win32_Environment");
        s.call.op.ref = created;
        CHECK_INT(run(&s), 0);
        CHECK(i == 0 ? !s.failed : (s.failed && s.err.code == WMGW_ENOTFOUND));
        sink_dispose(&s);
    }
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Environment");
    s.call.op.ref = created;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND && s.err.http_status == 500);
    CHECK_STR(s.err.fault_subcode, "a:DestinationUnreachable");
    sink_dispose(&s);
    wmgw_cim_ref_free(created);
}

static uint64_t out_u(const struct sink *s, const char *name)
{
    const struct wmgw_cim_prop *p = s->out ? wmgw_cim_proplist_find(s->out, name) : NULL;
    CHECK(p != NULL && !p->value.null && p->value.type == WMGW_CIM_UINT32);
    return p ? p->value.u.u : 0xdeadbeef;
}

static void test_invoke(void)
{
    /* Static: Win32_Process.Create. */
    struct wmgw_cim_proplist in = {0};
    struct wmgw_cim_value v = string("notepad.exe \"C:\\a & b.txt\"");
    wmgw_cim_proplist_put(&in, "CommandLine", &v);
    struct sink s;
    sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Process");
    s.call.op.method = "Create";
    s.call.op.params = &in;
    CHECK_INT(run(&s), 0);
    if (s.failed)
        fprintf(stderr, "Create: %s\n", s.err.message);
    CHECK(!s.failed);
    CHECK_INT(out_u(&s, "ReturnValue"), 0);
    CHECK(out_u(&s, "ProcessId") > 0);
    sink_dispose(&s);
    wmgw_cim_proplist_dispose(&in);
    /* Instance methods: start a stopped service, again, stop it. */
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Service", "Name", "BITS", NULL, NULL);
    static const struct {
        const char *method;
        unsigned rv;
    } steps[] = {{"StartService", 0}, {"StartService", 10}, {"StopService", 0}, {"StopService", 5}};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Service");
        s.call.op.ref = r;
        s.call.op.method = steps[i].method;
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        CHECK_INT(out_u(&s, "ReturnValue"), steps[i].rv);
        sink_dispose(&s);
    }
    wmgw_cim_ref_free(r);
    /* An unknown method: 405. */
    sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Process");
    s.call.op.method = "NoSuchMethod";
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTALLOWED);
    sink_dispose(&s);
}

/* One Get of Win32_OperatingSystem after the control action; returns the code. */
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
    static const struct {
        const char *fault;
        int code;
    } faults[] = {
        {"AccessDenied", WMGW_EACCES},          {"NoInstance", WMGW_ENOTFOUND},
        {"NoClass", WMGW_ENOTFOUND},            {"NoNamespace", WMGW_ENOTFOUND},
        {"BadResourceUri", WMGW_ENOTFOUND},     {"InsufficientSelectors", WMGW_EINVAL},
        {"InvalidSelectorValue", WMGW_EINVAL},  {"CannotProcessFilter", WMGW_EINVAL},
        {"InvalidEnumerationContext", WMGW_EGONE}, {"EncodingLimit", WMGW_EBACKEND},
        {"TimedOut", WMGW_ETIMEDOUT},           {"AlreadyExists", WMGW_EEXIST},
        {"ActionNotSupported", WMGW_ENOTALLOWED}, {"SchemaValidationError", WMGW_EINVAL},
        {"InvalidParameter", WMGW_EINVAL},      {"InternalError", WMGW_EBACKEND},
        {"QuotaLimit", WMGW_ERETRY},            {"NotSupported", WMGW_ENOTALLOWED},
        {"MethodNotImplemented", WMGW_EBACKEND}, {"MustUnderstand", WMGW_EBACKEND},
    };
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"count\":1,\"fault\":\"%s\"}", faults[i].fault);
        struct wmgw_backend_error e;
        int code = get_after("fail", body, &e);
        if (code != faults[i].code)
            fprintf(stderr, "%s: %s (%s)\n", faults[i].fault, wmgw_err_name(code), e.message);
        CHECK_INT(code, faults[i].code);
        CHECK(e.message[0] != '\0' && e.http_status == 500 && e.fault_code[0] != '\0');
    }
    struct wmgw_backend_error e;
    CHECK_INT(get_after("fail", "{\"count\":1,\"fault\":\"AccessDenied\"}", &e), WMGW_EACCES);
    CHECK(e.has_wmi && e.cim_status == 2 && e.has_wsman_code && e.wsman_code == 5);
    CHECK_INT(get_after("fail", "{\"count\":1,\"status\":503}", &e), WMGW_EBACKEND);
    CHECK_INT(e.http_status, 503);
    CHECK_INT(get_after("fail", "{\"count\":1,\"status\":401}", &e), WMGW_EBACKEND);
    CHECK(strstr(e.message, "credential") != NULL);
    CHECK_INT(get_after("fail", "{\"count\":1,\"status\":413}", NULL), WMGW_ETOOBIG);
    CHECK_INT(get_after("garbage", "{\"count\":1}", &e), WMGW_EPROTO);
    int dropped = get_after("drop", "{\"count\":1}", &e);
    CHECK(dropped == WMGW_ECONN || dropped == WMGW_EPROTO);
    /* Slower than OperationTimeout: the backend's TimedOut fault. */
    unsigned saved = backend->operation_timeout_ms;
    backend->operation_timeout_ms = 500;
    CHECK_INT(get_after("latency", "{\"ms\":1500}", &e), WMGW_ETIMEDOUT);
    backend->operation_timeout_ms = saved;
    /* All is well again. */
    CHECK_INT(get_after(NULL, NULL, NULL), 0);
    /* A wrong password: the backend says 401. */
    char *pw = backend->password;
    backend->password = strdup("wrong");
    CHECK_INT(get_after(NULL, NULL, &e), WMGW_EBACKEND);
    CHECK_INT(e.http_status, 401);
    free(backend->password);
    backend->password = pw;
    /* Nobody listening: ECONN.  Another port is another backend (as a
     * configuration change makes one): its own pool, no kept connection. */
    struct wmgw_backend *saved_backend = backend;
    backend = wmgw_backend_copy(saved_backend);
    backend->port = free_port();
    CHECK_INT(get_after(NULL, NULL, NULL), WMGW_ECONN);
    wmgw_backend_unref(backend);
    backend = saved_backend;
}

static void test_sync_failures(void)
{
    struct sink s;
    /* A class name that is not a name. */
    sink_init(&s, WMGW_OP_ENUMERATE, "root/cimv2", "Win32<Service");
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EINVAL);
    CHECK(!s.done);
    CHECK(wmgw_translator_for(WMGW_PROTO_WSMV)->caps_for(backend) & WMGW_CAP_CLASS_SCHEMA);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!start_sim()) {
        /* ctest always sets WMSIM_BIN: a simulator that will not start is a failure. */
        fprintf(stderr, "the simulator (WMSIM_BIN=%s) did not start\n", getenv("WMSIM_BIN") ? getenv("WMSIM_BIN") : "");
        stop_sim();
        return 1;
    }
    loop = h2o_evloop_create();
    tp = wmgw_transport_new(loop);
    backend = wmgw_backend_new("WMSIM-01");
    backend->address = strdup("127.0.0.1");
    backend->port = sim_port;
    backend->protocol = WMGW_PROTO_WSMV;
    backend->user = strdup("alice");
    backend->password = strdup("Secret-1");
    backend->operation_timeout_ms = 5000;
    backend->max_envelope_size = 153600;
    backend->max_elements = 100;
    WMGW_TEST_RUN(test_identify);
    WMGW_TEST_RUN(test_get_class);
    WMGW_TEST_RUN(test_get);
    WMGW_TEST_RUN(test_enumerate_batches);
    WMGW_TEST_RUN(test_filtered);
    WMGW_TEST_RUN(test_associators);
    WMGW_TEST_RUN(test_paging);
    WMGW_TEST_RUN(test_cancel);
    WMGW_TEST_RUN(test_create_modify_delete);
    WMGW_TEST_RUN(test_invoke);
    WMGW_TEST_RUN(test_faults);
    WMGW_TEST_RUN(test_sync_failures);
    spin(100);
    wmgw_transport_free(tp);
    for (size_t i = 0; i < nclasses; i++)
        wmgw_cim_class_free(classes[i]);
    wmgw_backend_unref(backend);
    h2o_evloop_destroy(loop);
    stop_sim();
    return WMGW_TEST_DONE();
}
