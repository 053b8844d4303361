/*
 * wmi_client.c: tests for the WMI-over-DCOM translator (translators/wmi/
 * wmi.c, wmi_reply.c, wmi_session.c, wmi_chan.c, wmi_ops.c) against the
 * in-process fake host of wmi_client_fake.h, on one h2o loop.
 *
 * Covered: the whole flow (activation on the activation port, the
 * exporter's endpoint, NTLMLogin per namespace, every operation kind),
 * session reuse across calls, batches with on_batch/resume, cancel
 * mid-enumeration giving the enumerator back with RemRelease, paging
 * cursors (continued on the same worker, EGONE elsewhere), HRESULTs
 * mapped to wmgw errors with the WBEM fields kept, a refused credential,
 * deadlines (a host that never answers is ETIMEDOUT), the auth level, and
 * the no-open-proxy rule: a binding naming another address is never
 * connected to (only its port is used, at the configured address).
 */
#include "translators/transport/http_client.h"
#include "translators/translator.h"
#include "translators/wmi/wmi_int.h"

#include <signal.h>

#include "wmi_client_fake.h"

#include "../test.h"

static h2o_evloop_t *loop;
static struct wmgw_transport *tp;
static struct fk_server fk;

/* --- a sink --------------------------------------------------------------------- */

struct sink {
    struct wmgw_call call; /* first: callbacks cast back */
    int done;
    bool failed;
    struct wmgw_backend_error err;
    struct wmgw_cim_instance *items[32];
    size_t nitems, nkept, nrefs;
    struct wmgw_cim_ref *ref;
    struct wmgw_cim_class *cls;
    struct wmgw_cim_proplist *out;
    struct wmgw_identity id;
    char *cursor;
    int batches;
    bool resume_later, resume_pending;
    int cancel_at_batch;
};

static void on_instance(struct wmgw_call *c, struct wmgw_cim_instance *inst)
{
    struct sink *s = (struct sink *)c;
    CHECK(!s->done);
    s->nitems++;
    if (s->nkept < 32)
        s->items[s->nkept++] = inst;
    else
        wmgw_cim_instance_unref(inst);
}

static void on_ref(struct wmgw_call *c, struct wmgw_cim_ref *ref)
{
    struct sink *s = (struct sink *)c;
    s->nrefs++;
    wmgw_cim_ref_free(s->ref);
    s->ref = ref;
}

static void on_class(struct wmgw_call *c, struct wmgw_cim_class *cls)
{
    ((struct sink *)c)->cls = cls;
}

static void on_output(struct wmgw_call *c, struct wmgw_cim_proplist *out)
{
    ((struct sink *)c)->out = out;
}

static void on_identity(struct wmgw_call *c, const struct wmgw_identity *id)
{
    ((struct sink *)c)->id = *id;
}

static void on_batch(struct wmgw_call *c)
{
    struct sink *s = (struct sink *)c;
    s->batches++;
    if (s->cancel_at_batch && s->batches == s->cancel_at_batch) {
        wmgw_call_cancel(c);
        s->done = 1;
        return;
    }
    if (s->resume_later)
        s->resume_pending = true;
    else
        wmgw_call_resume(c);
}

static void on_cursor(struct wmgw_call *c, const char *cursor)
{
    struct sink *s = (struct sink *)c;
    free(s->cursor);
    s->cursor = strdup(cursor);
}

static void on_done(struct wmgw_call *c, const struct wmgw_backend_error *err)
{
    struct sink *s = (struct sink *)c;
    CHECK(!s->done);
    s->done = 1;
    if (err != NULL) {
        s->failed = true;
        s->err = *err;
    }
}

static const struct wmgw_sink_ops ops = {on_instance, on_ref, on_class, on_output, on_identity, on_batch, on_cursor,
                                         on_done};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void run_for(double ms)
{
    double end = now_ms() + ms;
    while (now_ms() < end)
        h2o_evloop_run(loop, 5);
}

/* Runs the loop until the call is done (resuming when asked to later). */
static bool run_until_done(struct sink *s, double max_ms)
{
    double end = now_ms() + max_ms;
    while (!s->done && now_ms() < end) {
        h2o_evloop_run(loop, 5);
        if (s->resume_pending) {
            s->resume_pending = false;
            wmgw_call_resume(&s->call);
        }
    }
    return s->done;
}

static struct wmgw_backend *backend_new(void)
{
    struct wmgw_backend *b = wmgw_backend_new("fake");
    b->address = strdup("127.0.0.1");
    b->port = fk.port[FK_SCM];
    b->protocol = WMGW_PROTO_DCOM;
    b->user = strdup("WORKGROUP\\alice");
    b->password = strdup("Secret-1");
    b->connect_timeout_ms = 1000;
    b->operation_timeout_ms = 3000;
    return b;
}

static void sink_init(struct sink *s, struct wmgw_backend *b, enum wmgw_op_kind kind, const char *ns,
                      const char *cls)
{
    memset(s, 0, sizeof(*s));
    s->call.backend = b;
    s->call.transport = tp;
    s->call.sink = &ops;
    s->call.op.kind = kind;
    s->call.op.namespace_ = ns;
    s->call.op.class_name = cls;
}

static void sink_dispose(struct sink *s)
{
    for (size_t i = 0; i < s->nkept; i++)
        wmgw_cim_instance_unref(s->items[i]);
    wmgw_cim_ref_free(s->ref);
    wmgw_cim_class_free(s->cls);
    if (s->out != NULL) {
        wmgw_cim_proplist_dispose(s->out);
        free(s->out);
    }
    free(s->cursor);
    memset(s, 0, sizeof(*s));
}

/* Starts and runs one call to its end; returns start's result. */
static int run(struct sink *s)
{
    int rc = wmgw_call_start(&s->call);
    if (rc == 0)
        CHECK(run_until_done(s, 10000));
    return rc;
}

static struct wmgw_cim_ref *item_ref(unsigned id)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/test", "Test_Item");
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_UINT32);
    v.null = false;
    v.u.u = id;
    wmgw_cim_proplist_put(&r->keys, "Id", &v);
    return r;
}

static const char *str_of(const struct wmgw_cim_instance *inst, const char *name)
{
    const struct wmgw_cim_value *v = inst ? wmgw_cim_instance_get(inst, name) : NULL;
    return v && !v->null && v->type == WMGW_CIM_STRING ? v->u.str : NULL;
}

static struct wmgw_wmi_stats stats(void)
{
    struct wmgw_wmi_stats st;
    wmgw_wmi_stats(tp, &st);
    return st;
}

static void setup(void)
{
    fk_start(&fk, loop);
    tp = wmgw_transport_new(loop);
}

static void teardown(void)
{
    wmgw_transport_free(tp);
    run_for(20);
    fk_stop(&fk);
}

/* --- tests ----------------------------------------------------------------------- */

static void test_whole_flow(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    struct sink s;

    /* IDENTIFY: activation, the endpoint, NTLMLogin(root/cimv2), one query */
    sink_init(&s, b, WMGW_OP_IDENTIFY, NULL, NULL);
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.id.protocol, WMGW_PROTO_DCOM);
    CHECK_STR(s.id.version, "OS: 10.0.17763 SP: 1.2");
    CHECK_STR(s.id.vendor, "Microsoft Corporation");
    CHECK_STR(s.id.protocol_version, "MS-WMI over DCOM 5.7");
    CHECK_INT(fk.accepted[FK_SCM], 1);
    CHECK_INT(fk.accepted[FK_EP], 1);
    CHECK_INT(fk.activations, 1);
    CHECK_STR(fk.last_ns, "//./root/cimv2");
    CHECK_STR(fk.last_query, "SELECT * FROM Win32_OperatingSystem");
    CHECK_INT(fk.last_level, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY);
    CHECK_INT(fk_live_enums(&fk), 1); /* released after on_done, while the session is idle */
    sink_dispose(&s);

    /* GET_CLASS: the same session, a second namespace */
    sink_init(&s, b, WMGW_OP_GET_CLASS, "root/test", "Test_Item");
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.cls != NULL);
    if (s.cls != NULL) {
        CHECK_STR(s.cls->name, "Test_Item");
        CHECK_INT(s.cls->nprops, 3);
        CHECK_STR(s.cls->props[0].name, "Id");
        CHECK(s.cls->props[0].flags & WMGW_CIM_Q_KEY);
        CHECK(wmgw_cim_class_method(s.cls, "Scale") != NULL);
    }
    CHECK_INT(fk.activations, 1);
    CHECK_INT(fk.logins, 2);
    CHECK_STR(fk.last_path, "Test_Item");
    sink_dispose(&s);

    /* GET */
    struct wmgw_cim_ref *r2 = item_ref(2);
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r2;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 1);
    CHECK_STR(str_of(s.items[0], "Name"), "item-2");
    CHECK_STR(s.items[0] ? s.items[0]->namespace_ : NULL, "root/test");
    CHECK_STR(fk.last_path, "Test_Item.Id=2");
    sink_dispose(&s);

    /* ENUMERATE, filtered and projected: the WQL is ours */
    struct wmgw_wql_query *q = NULL;
    const char *text = "SELECT Name FROM Test_Item WHERE Value > 1000";
    CHECK_INT(wmgw_wql_parse(text, strlen(text), &q, NULL), 0);
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.query = q;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 5);
    CHECK_STR(fk.last_query, "SELECT Name FROM Test_Item WHERE Value > 1000");
    CHECK_INT(fk.last_next_timeout, 3000);
    run_for(20);
    CHECK_INT(fk_live_enums(&fk), 0);
    sink_dispose(&s);
    wmgw_wql_query_free(q);

    /* QUERY with references only */
    CHECK_INT(wmgw_wql_parse("SELECT * FROM Test_Item", 23, &q, NULL), 0);
    sink_init(&s, b, WMGW_OP_QUERY, "root/test", NULL);
    s.call.op.query = q;
    s.call.op.refs_only = true;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nrefs, 5);
    CHECK(s.ref != NULL && strcmp(s.ref->class_name, "Test_Item") == 0 && s.ref->keys.n == 1);
    sink_dispose(&s);
    wmgw_wql_query_free(q);

    /* CREATE: the class part first (once), then PutInstance(CREATE_ONLY) */
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Test_Item", "root/test");
    fk__put_num(inst, "Id", WMGW_CIM_UINT32, 9);
    fk__put_str(inst, "Name", "new one");
    unsigned gets = fk.getobjects;
    sink_init(&s, b, WMGW_OP_CREATE, "root/test", "Test_Item");
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(fk.puts, 1);
    CHECK_INT(fk.last_put_flags, WMGW_WBEM_FLAG_CREATE_ONLY);
    CHECK_STR(fk.put_name, "new one");
    CHECK_INT(fk.getobjects, gets + 1);
    sink_dispose(&s);
    wmgw_cim_instance_unref(inst);

    /* MODIFY: read, set Name, PutInstance(UPDATE_ONLY), read back */
    inst = wmgw_cim_instance_new("Test_Item", "root/test");
    fk__put_str(inst, "Name", "renamed");
    gets = fk.getobjects;
    sink_init(&s, b, WMGW_OP_MODIFY, "root/test", "Test_Item");
    s.call.op.ref = r2;
    s.call.op.instance = inst;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(fk.puts, 2);
    CHECK_INT(fk.last_put_flags, WMGW_WBEM_FLAG_UPDATE_ONLY);
    CHECK_STR(fk.put_name, "renamed");
    CHECK_INT(fk.getobjects, gets + 2); /* the class part is cached */
    CHECK_INT(s.nitems, 1);
    sink_dispose(&s);
    wmgw_cim_instance_unref(inst);

    /* DELETE */
    sink_init(&s, b, WMGW_OP_DELETE, "root/test", "Test_Item");
    s.call.op.ref = r2;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(fk.deletes, 1);
    CHECK_STR(fk.last_path, "Test_Item.Id=2");
    sink_dispose(&s);

    /* INVOKE on an instance, with in- and out-parameters */
    struct wmgw_cim_proplist params = {0};
    struct wmgw_cim_value f;
    wmgw_cim_value_init_null(&f, WMGW_CIM_SINT64);
    f.null = false;
    f.u.s = 3;
    wmgw_cim_proplist_put(&params, "Factor", &f);
    sink_init(&s, b, WMGW_OP_INVOKE, "root/test", "Test_Item");
    s.call.op.ref = r2;
    s.call.op.method = "Scale";
    s.call.op.params = &params;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.out != NULL);
    CHECK_INT(fk.last_factor, 3);
    if (s.out != NULL) {
        struct wmgw_cim_prop *rv = wmgw_cim_proplist_find(s.out, "ReturnValue");
        struct wmgw_cim_prop *res = wmgw_cim_proplist_find(s.out, "Result");
        CHECK(rv != NULL && !rv->value.null && rv->value.u.u == 0);
        CHECK(res != NULL && !res->value.null && res->value.u.s == 6000);
    }
    sink_dispose(&s);
    wmgw_cim_proplist_dispose(&params);

    /* INVOKE a static method without in-parameters: the class is the path */
    sink_init(&s, b, WMGW_OP_INVOKE, "root/test", "Test_Item");
    s.call.op.method = "Reset";
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.out != NULL);
    CHECK_STR(fk.last_path, "Test_Item");
    CHECK_STR(fk.last_method, "Reset");
    CHECK(!fk.reset_had_params);
    sink_dispose(&s);

    /* all of it on one session */
    CHECK_INT(fk.activations, 1);
    CHECK_INT(fk.accepted[FK_EP], 1);
    CHECK_INT(fk.logins, 2);
    struct wmgw_wmi_stats st = stats();
    CHECK_INT(st.activations, 1);
    CHECK_INT(st.live, 1);
    CHECK_INT(st.idle, 1);
    CHECK(st.reuses >= 9);
    CHECK(st.bytes_in > 0 && st.bytes_out > 0);

    /* a forgotten host: its idle session gives its references back and goes */
    unsigned releases = fk.releases;
    wmgw_transport_forget(tp, b->id);
    run_for(50);
    CHECK_INT(fk.releases, releases + 1);
    CHECK(fk_was_released(&fk, &fk.login) && fk_was_released(&fk, &fk.services_test) &&
          fk_was_released(&fk, &fk.services_cimv2));
    CHECK_INT(stats().live, 0);
    wmgw_cim_ref_free(r2);
    wmgw_backend_unref(b);
    teardown();
}

static void test_batches_and_resume(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    b->max_elements = 2;
    fk.nitems = 7;
    struct sink s;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.resume_later = true; /* from the loop, not inside on_batch */
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 7);
    CHECK_INT(s.batches, 3); /* 2, 2, 2, then 1 with WBEM_S_FALSE ends it */
    CHECK_INT(fk.nexts, 4);
    CHECK_INT(fk.last_next_count, 2);
    for (unsigned i = 0; i < 7 && i < s.nkept; i++) {
        const struct wmgw_cim_value *id = wmgw_cim_instance_get(s.items[i], "Id");
        CHECK(id != NULL && id->u.u == i + 1);
    }
    run_for(20);
    CHECK_INT(fk_live_enums(&fk), 0); /* the enumerator went back at the end */
    sink_dispose(&s);

    /* resumed from within on_batch */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 7 && s.batches == 3);
    sink_dispose(&s);
    CHECK_INT(fk.activations, 1);
    wmgw_backend_unref(b);
    teardown();
}

static void test_cancel_releases(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    b->max_elements = 2;
    fk.nitems = 9;
    struct sink s;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.cancel_at_batch = 1;
    CHECK_INT(run(&s), 0);
    CHECK_INT(s.nitems, 2);
    CHECK(!s.failed);
    unsigned releases = fk.releases;
    CHECK_INT(fk_live_enums(&fk), 1);
    run_for(50);
    CHECK_INT(fk.releases, releases + 1);
    CHECK_INT(fk_live_enums(&fk), 0);
    CHECK_INT(fk.nexts, 1);
    sink_dispose(&s);

    /* cancelled with a Next in flight: its reply is awaited, then RemRelease */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.resume_later = true;
    CHECK_INT(wmgw_call_start(&s.call), 0);
    while (!s.resume_pending && !s.done)
        h2o_evloop_run(loop, 5);
    wmgw_call_resume(&s.call);
    wmgw_call_cancel(&s.call); /* the second Next is on its way */
    size_t got = s.nitems;
    run_for(50);
    CHECK_INT(s.nitems, got); /* nothing after cancel */
    CHECK_INT(fk_live_enums(&fk), 0);
    CHECK_INT(fk.releases, releases + 2);
    sink_dispose(&s);

    /* cancelled during activation: the half-built session goes */
    struct wmgw_backend *b2 = backend_new();
    sink_init(&s, b2, WMGW_OP_GET, "root/test", "Test_Item");
    struct wmgw_cim_ref *r = item_ref(1);
    s.call.op.ref = r;
    CHECK_INT(wmgw_call_start(&s.call), 0);
    wmgw_call_cancel(&s.call);
    run_for(50);
    CHECK(!s.done);
    CHECK_INT(stats().live, 1); /* only b's */
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(b2);

    /* the session of the first host was reused all along */
    CHECK_INT(stats().activations, 2);
    wmgw_backend_unref(b);
    teardown();
}

static void test_paging_cursor(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    fk.nitems = 8;
    struct sink s;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.limit = 3;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    CHECK_INT(s.nitems, 3);
    CHECK_INT(fk.last_next_count, 4); /* one read ahead: is this page the last? */
    CHECK(s.cursor != NULL && strncmp(s.cursor, "dcom:", 5) == 0 && strlen(s.cursor) == 37);
    CHECK_INT(fk_live_enums(&fk), 1); /* parked, not released */
    CHECK_INT(stats().parked, 1);
    char *cursor = strdup(s.cursor ? s.cursor : "dcom:x");
    sink_dispose(&s);

    /* another worker (another transport) does not have it: 410 */
    struct wmgw_transport *other = wmgw_transport_new(loop);
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.transport = other;
    s.call.op.cursor = cursor;
    s.call.op.limit = 3;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EGONE);
    CHECK(strstr(s.call.start_error.message, "start the listing again") != NULL);
    sink_dispose(&s);
    wmgw_transport_free(other);

    /* nor does another host */
    struct wmgw_backend *b2 = backend_new();
    sink_init(&s, b2, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.cursor = cursor;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EGONE);
    sink_dispose(&s);
    wmgw_backend_unref(b2);

    /* malformed: 400; another protocol's: 410 */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.cursor = "dcom:not-a-handle";
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EINVAL);
    s.call.op.cursor = "wsman:uuid:1234";
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EGONE);
    sink_dispose(&s);

    /* this worker continues it: 3 more, a new cursor, then the rest */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.cursor = cursor;
    s.call.op.limit = 3;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 3 && s.cursor != NULL);
    CHECK(s.nkept > 0 && wmgw_cim_instance_get(s.items[0], "Id")->u.u == 4); /* the one read ahead */
    CHECK_INT(fk.last_next_count, 3);
    free(cursor);
    cursor = strdup(s.cursor ? s.cursor : "dcom:x");
    sink_dispose(&s);
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.cursor = cursor;
    s.call.op.limit = 3;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 2 && s.cursor == NULL);
    sink_dispose(&s);
    run_for(20);
    CHECK_INT(fk_live_enums(&fk), 0);
    /* a cursor is good once */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.cursor = cursor;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EGONE);
    sink_dispose(&s);
    CHECK_INT(fk.activations, 1);

    /* a listing that ends exactly at a page's end has no next page */
    fk.nitems = 6;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.limit = 6;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 6 && s.cursor == NULL);
    sink_dispose(&s);
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.limit = 3;
    CHECK_INT(run(&s), 0);
    CHECK(s.cursor != NULL);
    free(cursor);
    cursor = strdup(s.cursor ? s.cursor : "dcom:x");
    sink_dispose(&s);
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.limit = 3;
    s.call.op.cursor = cursor;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 3 && s.cursor == NULL);
    sink_dispose(&s);

    /* a parked cursor nobody continues is freed with the worker */
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    s.call.op.limit = 1;
    CHECK_INT(run(&s), 0);
    CHECK(s.cursor != NULL);
    sink_dispose(&s);
    free(cursor);
    wmgw_backend_unref(b);
    teardown();
}

static void test_errors(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    struct sink s;

    /* WBEM_E_NOT_FOUND: 404 with the HRESULT kept */
    struct wmgw_cim_ref *r = item_ref(77);
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed);
    CHECK_INT(s.err.code, WMGW_ENOTFOUND);
    CHECK(s.err.has_wmi && s.err.hresult == WMGW_WBEM_E_NOT_FOUND && s.err.cim_status == 6);
    CHECK(strstr(s.err.message, "WBEM_E_NOT_FOUND (0x80041002)") != NULL);
    CHECK(strstr(s.err.message, "Test_Item.Id=77") != NULL);
    sink_dispose(&s);

    /* a namespace the host does not have */
    sink_init(&s, b, WMGW_OP_GET, "root/nowhere", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND && s.err.hresult == WMGW_WBEM_E_INVALID_NAMESPACE);
    CHECK(strstr(s.err.message, "NTLMLogin") != NULL);
    sink_dispose(&s);

    /* the query refused at ExecQuery, then at Next */
    fk.inject_hr = WMGW_WBEM_E_INVALID_QUERY;
    fk.inject_opnum = WMGW_WMI_OP_EXEC_QUERY;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EINVAL && s.err.hresult == WMGW_WBEM_E_INVALID_QUERY);
    CHECK(strstr(s.err.message, "SELECT * FROM Test_Item") != NULL);
    sink_dispose(&s);
    fk.inject_hr = 0x80041004u; /* WBEM_E_PROVIDER_FAILURE */
    fk.inject_opnum = WMGW_WMI_OP_ENUM_NEXT;
    sink_init(&s, b, WMGW_OP_ENUMERATE, "root/test", "Test_Item");
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EBACKEND && s.err.hresult == 0x80041004u);
    CHECK(strstr(s.err.message, "WBEM_E_PROVIDER_FAILURE") != NULL);
    sink_dispose(&s);
    run_for(20);
    CHECK_INT(fk_live_enums(&fk), 0); /* released after the failure too */

    /* an unknown method; an access denied from the provider */
    sink_init(&s, b, WMGW_OP_INVOKE, "root/test", "Test_Item");
    s.call.op.ref = r;
    s.call.op.method = "Explode";
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ENOTFOUND);
    sink_dispose(&s);
    fk.inject_hr = 0x80041003u;
    fk.inject_opnum = WMGW_WMI_OP_DELETE_INSTANCE;
    sink_init(&s, b, WMGW_OP_DELETE, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EACCES && s.err.cim_status == 2);
    sink_dispose(&s);

    /* HRESULTs leave the session usable */
    CHECK_INT(fk.activations, 1);

    /* a refused credential: the gateway's, so 502, not 401/403 */
    struct wmgw_backend *bad = backend_new();
    free(bad->password);
    bad->password = strdup("guess");
    sink_init(&s, bad, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EBACKEND);
    CHECK(strstr(s.err.message, "access denied") != NULL);
    sink_dispose(&s);
    CHECK_INT(stats().live, 1); /* the broken session was not kept */
    wmgw_backend_unref(bad);

    /* no user: a configuration error at start */
    struct wmgw_backend *anon = backend_new();
    free(anon->user);
    anon->user = NULL;
    sink_init(&s, anon, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_ECONFIG);
    CHECK(strstr(s.call.start_error.message, "user and a password") != NULL);
    sink_dispose(&s);
    wmgw_backend_unref(anon);

    /* nothing listens on the activation port */
    struct wmgw_backend *closed = backend_new();
    closed->port = fk.port[FK_OTHER]; /* listens on 127.0.0.2 only */
    sink_init(&s, closed, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ECONN);
    sink_dispose(&s);
    wmgw_backend_unref(closed);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(b);
    teardown();
}

static void test_deadline(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    b->operation_timeout_ms = 200; /* the deadline: 200 + 20 + 2000 ms */
    fk.silent = true;
    struct wmgw_cim_ref *r = item_ref(1);
    struct sink s;
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    double t0 = now_ms();
    CHECK_INT(run(&s), 0);
    double took = now_ms() - t0;
    CHECK(s.failed && s.err.code == WMGW_ETIMEDOUT);
    CHECK(strstr(s.err.message, "did not answer in time") != NULL);
    CHECK(took > 2000 && took < 4000);
    CHECK_INT(stats().live, 0);
    sink_dispose(&s);

    /* a host that stops answering after activation: the call times out, the session goes */
    fk.silent = false;
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed);
    sink_dispose(&s);
    fk.silent = true;
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ETIMEDOUT);
    CHECK(strstr(s.err.message, "IWbemServices::GetObject") != NULL);
    sink_dispose(&s);
    CHECK_INT(stats().live, 0);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(b);
    teardown();
}

static void test_no_open_proxy(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    struct wmgw_cim_ref *r = item_ref(1);
    struct sink s;

    /* The bindings name another machine: only the port is taken, at the
     * configured address, where nothing listens on it. */
    snprintf(fk.binding_host, sizeof(fk.binding_host), "127.0.0.2");
    fk.binding_port = fk.port[FK_OTHER];
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_ECONN);
    run_for(20);
    CHECK_INT(fk.accepted[FK_OTHER], 0);
    CHECK_INT(fk.activations, 1);
    sink_dispose(&s);

    /* ... so when the port is the host's own, the call works at its address */
    fk.binding_port = fk.port[FK_EP];
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 1);
    CHECK_INT(fk.accepted[FK_OTHER], 0);
    CHECK_INT(fk.accepted[FK_EP], 1);
    sink_dispose(&s);

    /* a binding without a port is refused */
    wmgw_transport_forget(tp, b->id);
    fk.binding_port = 0;
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(s.failed && s.err.code == WMGW_EPROTO);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(b);
    teardown();
}

static void test_integrity_level(void)
{
    setup();
    struct wmgw_backend *b = backend_new();
    b->dcom_auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    struct wmgw_cim_ref *r = item_ref(3);
    struct sink s;
    sink_init(&s, b, WMGW_OP_GET, "root/test", "Test_Item");
    s.call.op.ref = r;
    CHECK_INT(run(&s), 0);
    CHECK(!s.failed && s.nitems == 1);
    CHECK_INT(fk.last_level, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY);
    sink_dispose(&s);
    wmgw_cim_ref_free(r);
    wmgw_backend_unref(b);
    teardown();
}

static void test_config_port_defaults(void)
{
    CHECK_INT(wmgw_protocol_default_port(WMGW_PROTO_DCOM, false), 135);
    CHECK_INT(wmgw_protocol_default_port(WMGW_PROTO_WSMV, false), 5985);
    CHECK_INT(wmgw_protocol_default_port(WMGW_PROTO_AUTO, true), 5986);
    CHECK_STR(wmgw_translator_for(WMGW_PROTO_DCOM)->name, "wmi");
    struct wmgw_backend b = {.protocol = WMGW_PROTO_DCOM};
    CHECK_INT(wmgw_translator_caps(&b, WMGW_PROTO_AUTO),
              WMGW_CAP_FILTER | WMGW_CAP_PROJECT | WMGW_CAP_CREATE_DELETE | WMGW_CAP_ASSOCIATIONS |
                  WMGW_CAP_CLASS_SCHEMA);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = h2o_evloop_create();
    WMGW_TEST_RUN(test_config_port_defaults);
    WMGW_TEST_RUN(test_whole_flow);
    WMGW_TEST_RUN(test_batches_and_resume);
    WMGW_TEST_RUN(test_cancel_releases);
    WMGW_TEST_RUN(test_paging_cursor);
    WMGW_TEST_RUN(test_errors);
    WMGW_TEST_RUN(test_deadline);
    WMGW_TEST_RUN(test_no_open_proxy);
    WMGW_TEST_RUN(test_integrity_level);
    h2o_evloop_destroy(loop);
    return WMGW_TEST_DONE();
}
