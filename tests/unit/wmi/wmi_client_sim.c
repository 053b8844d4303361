/*
 * wmi_client_sim.c: the WMI-over-DCOM translator end to end against the
 * simulator's DCOM front (build/wmsim, WMSIM_BIN): WMSIM-01 with
 * WS-Management and DCOM on 127.0.0.1 (activation on a free port, its
 * objects on a dynamic one), 2,000 Sim_Bench instances.  What the fake
 * host of wmi_client.c cannot show: a server we did not write for these
 * tests, its store shared with WS-Management, its exporter counting our
 * calls (activation once, RemRelease of every enumerator), its control
 * plan (latency past the deadline).
 */
#include "translators/wmi/wmi_int.h"

#include "../wsman/harness.h"

static uint16_t dcom_port;

/* A call counter of the host's DCOM front. */
static long dcom_calls(const char *call)
{
    json_t *j = ctl("GET", "/hosts/WMSIM-01", NULL);
    long n = (long)json_integer_value(json_object_get(json_object_get(json_object_get(j, "dcom"), "by_call"), call));
    json_decref(j);
    return n;
}

static struct wmgw_backend *dcom_backend(void)
{
    struct wmgw_backend *b = wmgw_backend_new("WMSIM-01");
    b->address = strdup("127.0.0.1");
    b->port = dcom_port;
    b->protocol = WMGW_PROTO_DCOM;
    b->user = strdup("alice");
    b->password = strdup("Secret-1");
    b->operation_timeout_ms = 5000;
    b->max_elements = 100;
    return b;
}

static void test_identify_and_schema(void)
{
    struct sink s;
    sink_init(&s, WMGW_OP_IDENTIFY, NULL, NULL);
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.id.protocol, WMGW_PROTO_DCOM);
    CHECK(strncmp(s.id.version, "OS: 10.0.", 9) == 0);
    sink_dispose(&s);

    sink_init(&s, WMGW_OP_GET_CLASS, "root/cimv2", "Win32_Service");
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.cls != NULL);
    if (s.cls != NULL) {
        CHECK_STR(s.cls->name, "Win32_Service");
        CHECK_STR(s.cls->superclass, "Win32_BaseService");
        const struct wmgw_cim_propdecl *name = wmgw_cim_class_prop(s.cls, "Name");
        CHECK(name != NULL && (name->flags & WMGW_CIM_Q_KEY));
        CHECK(wmgw_cim_class_method(s.cls, "StopService") != NULL);
        for (size_t i = 1; i < s.cls->nprops; i++)
            CHECK(strcasecmp(s.cls->props[i - 1].name, s.cls->props[i].name) < 0);
    }
    sink_dispose(&s); /* keeps the class for later calls (harness) */
}

static void test_get_and_errors(void)
{
    struct sink s;
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Service", "Name", "WinRM", NULL, NULL);
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Service");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 1);
    CHECK_STR(sval(s.items[0], "Name"), "WinRM");
    CHECK_STR(sval(s.items[0], "SystemName"), "WMSIM-01");
    sink_dispose(&s);
    wmgw_cim_ref_free(r);

    r = ref2("root/cimv2", "Win32_Service", "Name", "NoSuchService", NULL, NULL);
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Service");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND && s.err.has_wmi && s.err.hresult == WMGW_WBEM_E_NOT_FOUND);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
}

static void test_enumeration_batches(void)
{
    long next0 = dcom_calls("Next"), rel0 = dcom_calls("RemRelease");
    struct sink s;
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.resume_mode = 1;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 2000);
    CHECK(s.ordered);
    CHECK_INT(s.max_batch, 100);
    CHECK(s.batches >= 19);
    CHECK(dcom_calls("Next") - next0 >= 20);
    sink_dispose(&s);
    long rel = dcom_calls("RemRelease"); /* sent after on_done */
    for (int i = 0; i < 100 && rel == rel0; i++) {
        spin(20);
        rel = dcom_calls("RemRelease");
    }
    CHECK_INT(rel, rel0 + 1);
}

static void test_paging_and_cancel(void)
{
    struct sink s;
    size_t total = 0;
    char *cursor = NULL;
    long queries = dcom_calls("ExecQuery");
    for (int page = 0; page < 10; page++) {
        sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
        s.call.op.limit = 700;
        s.call.op.cursor = cursor;
        CHECK_INT(run(&s), 0);
        CHECK(!s.failed);
        total += s.nitems;
        free(cursor);
        cursor = s.cursor ? strdup(s.cursor) : NULL;
        sink_dispose(&s);
        if (cursor == NULL)
            break;
    }
    CHECK_INT(total, 2000);
    CHECK_INT(dcom_calls("ExecQuery"), queries + 1);

    /* cancelled after the first batch: the enumerator goes back */
    long rel0 = dcom_calls("RemRelease");
    sink_init(&s, WMGW_OP_ENUMERATE, "root/test", "Sim_Bench");
    s.cancel_at_batch = 1;
    CHECK_INT(run(&s), 0);
    CHECK_INT(s.nitems, 100);
    sink_dispose(&s);
    long rel = dcom_calls("RemRelease");
    for (int i = 0; i < 100 && rel == rel0; i++) {
        spin(20);
        rel = dcom_calls("RemRelease");
    }
    CHECK_INT(rel, rel0 + 1);
}

static void test_writes_and_methods(void)
{
    struct sink s;
    /* CREATE, read back over DCOM, DELETE */
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    struct wmgw_cim_value v = string("APP_HOME");
    wmgw_cim_proplist_put(&inst->props, "Name", &v);
    v = string("<SYSTEM>");
    wmgw_cim_proplist_put(&inst->props, "UserName", &v);
    v = string("C:\\app");
    wmgw_cim_proplist_put(&inst->props, "VariableValue", &v);
    sink_init(&s, WMGW_OP_CREATE, "root/cimv2", "Win32_Environment");
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    sink_dispose(&s);
    wmgw_cim_instance_unref(inst);

    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Environment", "Name", "APP_HOME", "UserName", "<SYSTEM>");
    inst = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    v = string("D:\\app");
    wmgw_cim_proplist_put(&inst->props, "VariableValue", &v);
    sink_init(&s, WMGW_OP_MODIFY, "root/cimv2", "Win32_Environment");
    s.call.op.ref = r;
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 1);
    CHECK_STR(sval(s.items[0], "VariableValue"), "D:\\app");
    sink_dispose(&s);
    wmgw_cim_instance_unref(inst);

    sink_init(&s, WMGW_OP_DELETE, "root/cimv2", "Win32_Environment");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    sink_dispose(&s);
    sink_init(&s, WMGW_OP_DELETE, "root/cimv2", "Win32_Environment");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);

    /* an instance method, then a static one with in-parameters */
    r = ref2("root/cimv2", "Win32_Service", "Name", "Spooler", NULL, NULL);
    sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Service");
    s.call.op.ref = r;
    s.call.op.method = "StopService";
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.out != NULL);
    struct wmgw_cim_prop *rv = s.out ? wmgw_cim_proplist_find(s.out, "ReturnValue") : NULL;
    CHECK(rv != NULL && !rv->value.null && rv->value.u.u == 0);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);

    struct wmgw_cim_proplist params = {0};
    v = string("notepad.exe");
    wmgw_cim_proplist_put(&params, "CommandLine", &v);
    sink_init(&s, WMGW_OP_INVOKE, "root/cimv2", "Win32_Process");
    s.call.op.method = "Create";
    s.call.op.params = &params;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.out != NULL);
    struct wmgw_cim_prop *pid = s.out ? wmgw_cim_proplist_find(s.out, "ProcessId") : NULL;
    CHECK(pid != NULL && !pid->value.null && pid->value.u.u > 0);
    sink_dispose(&s);
    wmgw_cim_proplist_dispose(&params);
    ctl_post("reset", NULL);
}

static void test_deadline(void)
{
    struct wmgw_backend *saved = backend;
    backend = dcom_backend();
    backend->operation_timeout_ms = 300; /* the deadline: 300 + 30 + 2000 ms */
    struct wmgw_cim_ref *r = ref2("root/cimv2", "Win32_Service", "Name", "WinRM", NULL, NULL);
    struct sink s;
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Service");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0); /* activation first, without latency */
    CHECK(!s.failed);
    sink_dispose(&s);
    ctl_post("latency", "{\"ms\": 4000}");
    sink_init(&s, WMGW_OP_GET, "root/cimv2", "Win32_Service");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ETIMEDOUT);
    sink_dispose(&s);
    ctl_post("clear", NULL);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(backend);
    backend = saved;
}

static void test_sessions_reused(void)
{
    /* everything above ran on as few sessions as there were overlaps */
    struct wmgw_wmi_stats st;
    wmgw_wmi_stats(tp, &st);
    CHECK(st.activations <= 3);
    CHECK(st.reuses >= 10);
    CHECK(st.releases >= 3);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    (void)wait_counter; /* the harness's WS-Man counters: not ours */
    (void)settled_counter;
    dcom_port = free_port();
    char opts[64];
    snprintf(opts, sizeof(opts), ",name=WMSIM-01,dcom=%u", dcom_port);
    if (!start_sim_with(opts, NULL)) {
        printf("ok - skipped: no simulator (WMSIM_BIN)\n1 passed, 0 failed\n");
        stop_sim();
        return 0;
    }
    for (int i = 0; i < 200 && !can_connect(dcom_port); i++)
        usleep(25000);
    loop = h2o_evloop_create();
    tp = wmgw_transport_new(loop);
    backend = dcom_backend();
    WMGW_TEST_RUN(test_identify_and_schema);
    WMGW_TEST_RUN(test_get_and_errors);
    WMGW_TEST_RUN(test_enumeration_batches);
    WMGW_TEST_RUN(test_paging_and_cancel);
    WMGW_TEST_RUN(test_writes_and_methods);
    WMGW_TEST_RUN(test_deadline);
    WMGW_TEST_RUN(test_sessions_reused);
    wmgw_transport_free(tp);
    wmgw_backend_unref(backend);
    for (size_t i = 0; i < nclasses; i++)
        wmgw_cim_class_free(classes[i]);
    h2o_evloop_destroy(loop);
    stop_sim();
    return WMGW_TEST_DONE();
}
