/*
 * offload.c: tests for translators/transport/offload.c: jobs run on the
 * pool's threads and finish on the loop of the transport that queued
 * them, in the order they finished; a transport freed while a job runs
 * leaves the job to be discarded by its thread, and nothing leaks (the
 * ASan build checks).
 */
#include "translators/transport/http_client.h"
#include "translators/transport/transport_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../test.h"
#include "test_server.h"

static h2o_evloop_t *loop;

struct job {
    struct wmgw__job job;
    pthread_t loop_thread, ran_on;
    atomic_int *release; /* run() waits for it to be set, if given */
    atomic_int *discarded;
    int *done_order, seq;
    int *done_count;
};

static void run(struct wmgw__job *j)
{
    struct job *x = (struct job *)j;
    x->ran_on = pthread_self();
    while (x->release != NULL && !atomic_load(x->release))
        usleep(1000);
}

static void done(struct wmgw__job *j)
{
    struct job *x = (struct job *)j;
    CHECK(pthread_equal(pthread_self(), x->loop_thread));
    CHECK(!pthread_equal(x->ran_on, x->loop_thread));
    x->done_order[(*x->done_count)++] = x->seq;
    free(x);
}

static void discard(struct wmgw__job *j)
{
    struct job *x = (struct job *)j;
    atomic_fetch_add(x->discarded, 1);
    free(x);
}

static struct job *new_job(int seq, int *order, int *count, atomic_int *release, atomic_int *discarded)
{
    struct job *x = calloc(1, sizeof(*x));
    x->job.run = run;
    x->job.done = done;
    x->job.discard = discard;
    x->loop_thread = pthread_self();
    x->seq = seq;
    x->done_order = order;
    x->done_count = count;
    x->release = release;
    x->discarded = discarded;
    return x;
}

static void test_jobs_finish_on_the_loop(void)
{
    struct wmgw_transport *t = wmgw_transport_new(loop);
    int order[3], count = 0;
    atomic_int first_go = 0, discarded = 0;
    /* The first waits until the others have finished: done() follows the
     * order jobs end in, not the order they were queued in. */
    CHECK_INT(wmgw__offload(t, &new_job(1, order, &count, &first_go, &discarded)->job), 0);
    CHECK_INT(wmgw__offload(t, &new_job(2, order, &count, NULL, &discarded)->job), 0);
    CHECK_INT(wmgw__offload(t, &new_job(3, order, &count, NULL, &discarded)->job), 0);
    int two = 2;
    for (int i = 0; i < 500 && count < two; i++)
        ts_run_for(loop, 10);
    CHECK_INT(count, 2);
    atomic_store(&first_go, 1);
    int three = 3;
    for (int i = 0; i < 500 && count < three; i++)
        ts_run_for(loop, 10);
    CHECK_INT(count, 3);
    CHECK_INT(order[2], 1);
    CHECK(order[0] != 1 && order[1] != 1);
    CHECK_INT(atomic_load(&discarded), 0);
    wmgw_transport_free(t);
}

static void test_transport_freed_while_a_job_runs(void)
{
    struct wmgw_transport *t = wmgw_transport_new(loop);
    int order[2], count = 0;
    atomic_int go = 0, discarded = 0;
    CHECK_INT(wmgw__offload(t, &new_job(1, order, &count, &go, &discarded)->job), 0);
    CHECK_INT(wmgw__offload(t, &new_job(2, order, &count, &go, &discarded)->job), 0);
    ts_run_for(loop, 20);
    wmgw_transport_free(t); /* both still running */
    atomic_store(&go, 1);
    for (int i = 0; i < 500 && atomic_load(&discarded) < 2; i++)
        usleep(2000);
    CHECK_INT(atomic_load(&discarded), 2);
    CHECK_INT(count, 0);
    ts_run_for(loop, 20); /* nothing of the freed transport runs on the loop */
    CHECK_INT(count, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = h2o_evloop_create();
    WMGW_TEST_RUN(test_jobs_finish_on_the_loop);
    WMGW_TEST_RUN(test_transport_freed_while_a_job_runs);
    h2o_evloop_destroy(loop);
    return WMGW_TEST_DONE();
}
