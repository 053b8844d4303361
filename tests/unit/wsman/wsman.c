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
#include "translators/transport/http_client.h"
#include "translators/translator.h"
#include "translators/wsman/dialect.h"
#include "util/buf.h"
#include "util/err.h"

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"

static pid_t sim_pid;
static uint16_t sim_port, ctl_port;
static h2o_evloop_t *loop;
static struct wmgw_transport *tp;
static struct wmgw_backend *backend;
static struct wmgw_cim_class *classes[16];
static size_t nclasses;

/* --- the simulator ------------------------------------------------------------- */

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static bool can_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static bool start_sim(void)
{
    const char *bin = getenv("WMSIM_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        return false;
    sim_port = free_port();
    ctl_port = free_port();
    char listen[64], control[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u,name=WMSIM-01", sim_port);
    snprintf(control, sizeof(control), "127.0.0.1:%u", ctl_port);
    sim_pid = fork();
    if (sim_pid == 0) {
        execl(bin, "wmsim", "--listen", listen, "--user", "alice:Secret-1", "--control", control, "--bench-instances",
              "2000", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        if (can_connect(sim_port) && can_connect(ctl_port))
            return true;
        usleep(25000);
    }
    return false;
}

static void stop_sim(void)
{
    if (sim_pid > 0) {
        kill(sim_pid, SIGTERM);
        waitpid(sim_pid, NULL, 0);
    }
}

/* One blocking request to the control interface; returns the JSON body. */
static json_t *ctl(const char *method, const char *path, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(ctl_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return NULL;
    }
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.0\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, body ? strlen(body) : 0, body ? body : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    char chunk[4096];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof(chunk))) > 0)
        wmgw_buf_add(&b, chunk, (size_t)r);
    close(fd);
    const char *json = b.data ? strstr(b.data, "\r\n\r\n") : NULL;
    json_t *j = json ? json_loads(json + 4, 0, NULL) : NULL;
    wmgw_buf_dispose(&b);
    return j;
}

static void ctl_post(const char *action, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/hosts/WMSIM-01/%s", action);
    json_decref(ctl("POST", path, body ? body : "{}"));
}

static long counter(const char *action)
{
    json_t *j = ctl("GET", "/hosts/WMSIM-01", NULL);
    long v = (long)json_integer_value(json_object_get(json_object_get(json_object_get(j, "counters"), "by_action"),
                                                      action));
    json_decref(j);
    return v;
}

/* --- a sink ---------------------------------------------------------------------- */

struct sink {
    struct wmgw_call call; /* first: callbacks cast back */
    bool done, cancelled;
    struct wmgw_backend_error err;
    bool failed;
    struct wmgw_cim_instance *items[64]; /* the first ones, kept */
    size_t nitems, nrefs, nkept;
    struct wmgw_cim_ref *ref;
    struct wmgw_cim_class *cls;
    struct wmgw_cim_proplist *out;
    struct wmgw_identity id;
    char *cursor;
    int batches;
    size_t batch_items, max_batch;
    int resume_mode;      /* 0: resume inside on_batch, 1: from the loop */
    bool resume_pending;
    size_t cancel_at;     /* cancel after this many items (0: never) */
    int cancel_at_batch;  /* cancel in the Nth on_batch (0: never) */
    uint64_t last_id;     /* Sim_Bench order check */
    bool ordered;
};

static void keep(struct sink *s, struct wmgw_cim_instance *inst)
{
    if (s->nkept < 64)
        s->items[s->nkept++] = inst;
    else
        wmgw_cim_instance_unref(inst); /* the sink frees as it goes: memory stays flat */
}

static void on_instance(struct wmgw_call *c, struct wmgw_cim_instance *inst)
{
    struct sink *s = (struct sink *)c;
    CHECK(!s->done);
    const struct wmgw_cim_value *id = wmgw_cim_instance_get(inst, "Id");
    if (id && !id->null && id->type == WMGW_CIM_UINT32) {
        if (s->nitems > 0 && id->u.u != s->last_id + 1)
            s->ordered = false;
        s->last_id = id->u.u;
    }
    s->nitems++;
    s->batch_items++;
    keep(s, inst);
    if (s->cancel_at && s->nitems == s->cancel_at) {
        wmgw_call_cancel(c);
        s->cancelled = s->done = true;
    }
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
    if (s->batch_items > s->max_batch)
        s->max_batch = s->batch_items;
    s->batch_items = 0;
    if (s->cancel_at_batch && s->batches == s->cancel_at_batch) {
        wmgw_call_cancel(c);
        s->cancelled = s->done = true;
        return;
    }
    if (s->resume_mode == 0)
        wmgw_call_resume(c);
    else
        s->resume_pending = true;
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
    s->done = true;
    if (s->batch_items > s->max_batch)
        s->max_batch = s->batch_items;
    if (err != NULL) {
        s->failed = true;
        s->err = *err;
    }
}

static const struct wmgw_sink_ops ops = {on_instance, on_ref, on_class, on_output, on_identity, on_batch, on_cursor,
                                         on_done};
static const struct wmgw_sink_ops ops_no_cursor = {on_instance, on_ref,   on_class, on_output,
                                                   on_identity, on_batch, NULL,     on_done};

static const struct wmgw_cim_class *lookup(void *ctx, const char *ns, const char *name)
{
    for (size_t i = 0; i < nclasses; i++)
        if (strcasecmp(classes[i]->name, name) == 0)
            return classes[i];
    return NULL;
}

static const struct wmgw_cim_class *known(const char *name)
{
    return lookup(NULL, NULL, name);
}

static void sink_init(struct sink *s, enum wmgw_op_kind kind, const char *ns, const char *cls)
{
    memset(s, 0, sizeof(*s));
    s->ordered = true;
    s->call.backend = backend;
    s->call.transport = tp;
    s->call.sink = &ops;
    s->call.op.kind = kind;
    s->call.op.namespace_ = ns;
    s->call.op.class_name = cls;
    s->call.op.cls = cls ? known(cls) : NULL;
    s->call.lookup_class = lookup;
}

static void sink_dispose(struct sink *s)
{
    for (size_t i = 0; i < s->nkept; i++)
        wmgw_cim_instance_unref(s->items[i]);
    wmgw_cim_ref_free(s->ref);
    if (s->cls && !(nclasses < 16 && (classes[nclasses++] = s->cls)))
        wmgw_cim_class_free(s->cls);
    if (s->out) {
        wmgw_cim_proplist_dispose(s->out);
        free(s->out);
    }
    free(s->cursor);
    memset(s, 0, sizeof(*s));
}

static void spin(int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        h2o_evloop_run(loop, 5);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* The counter, once it reached `want` (the loop runs meanwhile: Release is
 * sent after the call is over), or its value after 5 s. */
static long wait_counter(const char *action, long want)
{
    long v = counter(action);
    for (int i = 0; i < 100 && v < want; i++) {
        spin(50);
        v = counter(action);
    }
    return v;
}

/* Starts the call and runs the loop until on_done (or cancel). */
static int run(struct sink *s)
{
    int rc = wmgw_call_start(&s->call);
    if (rc != 0)
        return rc;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!s->done) {
        h2o_evloop_run(loop, 10);
        if (s->resume_pending) {
            s->resume_pending = false;
            wmgw_call_resume(&s->call);
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 30) {
            fprintf(stderr, "call did not finish\n");
            wmgw_call_cancel(&s->call);
            return WMGW_ETIMEDOUT;
        }
    }
    return 0;
}

static const struct wmgw_cim_value *val(const struct wmgw_cim_instance *i, const char *name)
{
    return i ? wmgw_cim_instance_get(i, name) : NULL;
}

static const char *sval(const struct wmgw_cim_instance *i, const char *name)
{
    const struct wmgw_cim_value *v = val(i, name);
    return v && !v->null && v->type == WMGW_CIM_STRING ? v->u.str : NULL;
}

static struct wmgw_cim_value string(const char *s)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&v, strdup(s));
    return v;
}

static struct wmgw_cim_ref *ref2(const char *ns, const char *cls, const char *k1, const char *v1, const char *k2,
                                 const char *v2)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new(ns, cls);
    struct wmgw_cim_value v;
    if (k1) {
        v = string(v1);
        wmgw_cim_proplist_put(&r->keys, k1, &v);
    }
    if (k2) {
        v = string(v2);
        wmgw_cim_proplist_put(&r->keys, k2, &v);
    }
    return r;
}

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
    long releases = counter("Release");
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
        {"QuotaLimit", WMGW_EBACKEND},          {"NotSupported", WMGW_ENOTALLOWED},
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
    /* Nobody listening: ECONN. */
    uint16_t port = backend->port;
    backend->port = free_port();
    CHECK_INT(get_after(NULL, NULL, NULL), WMGW_ECONN);
    backend->port = port;
}

static void test_sync_failures(void)
{
    struct sink s;
    /* DCOM is not there yet: refused at start. */
    struct wmgw_backend *b = wmgw_backend_copy(backend);
    b->protocol = WMGW_PROTO_DCOM;
    sink_init(&s, WMGW_OP_IDENTIFY, NULL, NULL);
    s.call.backend = b;
    CHECK_INT(wmgw_call_start(&s.call), WMGW_EUNSUPPORTED);
    CHECK(!s.done);
    wmgw_backend_unref(b);
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
        printf("# skip: WMSIM_BIN not set or the simulator did not start\n");
        stop_sim();
        return WMGW_TEST_DONE();
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
