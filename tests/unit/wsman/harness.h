/*
 * harness.h: what the end-to-end tests (wsman.c, wsman2003.c) need around
 * the translator: the simulator as a child process (WMSIM_BIN) with its
 * control interface, one or two hosts (each in its dialect), a recording
 * sink, and a loop runner.  Included by one test file each (static
 * definitions).
 */
#ifndef WMGW_TESTS_UNIT_WSMAN_HARNESS_H
#define WMGW_TESTS_UNIT_WSMAN_HARNESS_H

#include "translators/transport/http_client.h"
#include "translators/translator.h"
#include "util/buf.h"
#include "util/err.h"

#include <h2o.h>
#include <jansson.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"

static pid_t sim_pid;
static uint16_t sim_port, sim_port2, ctl_port; /* sim_port2: the second host, if any */
static const char *ctl_host = "WMSIM-01";      /* the host ctl_post() and counter() address */
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

/* Starts wmsim with a host on sim_port (--listen options opts1, e.g.
 * ",name=WMSIM-01,dialect=wsman2003") and, when opts2 is not NULL, a
 * second one on sim_port2. */
static bool start_sim_with(const char *opts1, const char *opts2)
{
    const char *bin = getenv("WMSIM_BIN");
    if (bin == NULL || access(bin, X_OK) != 0)
        return false;
    sim_port = free_port();
    sim_port2 = opts2 ? free_port() : 0;
    ctl_port = free_port();
    char listen[128], listen2[128], control[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u%s", sim_port, opts1);
    snprintf(listen2, sizeof(listen2), "127.0.0.1:%u%s", sim_port2, opts2 ? opts2 : "");
    snprintf(control, sizeof(control), "127.0.0.1:%u", ctl_port);
    sim_pid = fork();
    if (sim_pid == 0) {
        if (opts2 != NULL)
            execl(bin, "wmsim", "--listen", listen, "--listen", listen2, "--user", "alice:Secret-1", "--control",
                  control, "--bench-instances", "2000", (char *)NULL);
        else
            execl(bin, "wmsim", "--listen", listen, "--user", "alice:Secret-1", "--control", control,
                  "--bench-instances", "2000", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        if (can_connect(sim_port) && (opts2 == NULL || can_connect(sim_port2)) && can_connect(ctl_port))
            return true;
        usleep(25000);
    }
    return false;
}

static inline bool start_sim(void)
{
    return start_sim_with(",name=WMSIM-01", NULL);
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
    snprintf(path, sizeof(path), "/hosts/%s/%s", ctl_host, action);
    json_decref(ctl("POST", path, body ? body : "{}"));
}

/* A counter of a host: an action ("Get", ...) or, for "requests",
 * "unauthorized" and "faults", the totals. */
static long counter_of(const char *host, const char *action)
{
    char path[128];
    snprintf(path, sizeof(path), "/hosts/%s", host);
    json_t *j = ctl("GET", path, NULL);
    json_t *c = json_object_get(j, "counters");
    json_t *v = json_object_get(c, action);
    long n = (long)json_integer_value(v ? v : json_object_get(json_object_get(c, "by_action"), action));
    json_decref(j);
    return n;
}

static long counter(const char *action)
{
    return counter_of(ctl_host, action);
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

/* The counter once earlier tests' background Releases have landed: it
 * must hold still for 300 ms (a baseline taken earlier would be racy). */
static long settled_counter(const char *action)
{
    long v = counter(action), prev;
    int still = 0;
    for (int i = 0; i < 100 && still < 3; i++) {
        spin(100);
        prev = v;
        v = counter(action);
        still = v == prev ? still + 1 : 0;
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

#endif
