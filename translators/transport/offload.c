/*
 * offload.c: blocking work of a transport run off its loop (transport_int.h).
 *
 * The work is the first step of a Kerberos or Negotiate handshake: MIT
 * krb5 talks to the KDC inside gss_acquire_cred and gss_init_sec_context
 * (an AS and a TGS exchange, each up to seconds when the KDC is slow or
 * gone), and on the loop that would stall every other request of the
 * worker.  A few process-wide threads run the jobs; a job's done() then
 * runs on the loop of the transport that queued it, woken through a pipe
 * the loop reads.  A transport freed while its jobs run closes its
 * mailbox: the thread that finishes such a job discards it, and the last
 * one frees the mailbox.
 */
#include "translators/transport/transport_int.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4 /* jobs wait on the network, not the CPU */

struct wmgw__mailbox {
    pthread_mutex_t lock;
    bool open;                  /* the transport is alive */
    unsigned in_flight;         /* jobs queued, running or finished but not yet done() */
    struct wmgw__job *finished; /* for the loop, newest first */
    int wake[2];                /* pipe: threads write a byte, the loop reads */
    h2o_socket_t *sock;         /* wake[0] on the loop */
};

/* The process-wide queue of jobs to run. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static struct wmgw__job *queue_head, **queue_tail = &queue_head;
static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static unsigned threads_started;

static void mailbox_free(struct wmgw__mailbox *m)
{
    close(m->wake[1]);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* On the pool thread: hand the finished job to its loop, or discard it
 * when the transport is gone. */
static void deliver(struct wmgw__job *job)
{
    struct wmgw__mailbox *m = job->box;
    pthread_mutex_lock(&m->lock);
    if (m->open) {
        bool was_empty = m->finished == NULL;
        job->next = m->finished;
        m->finished = job;
        if (was_empty) {
            ssize_t n;
            do
                n = write(m->wake[1], "", 1);
            while (n < 0 && errno == EINTR); /* a full pipe is awake already */
        }
        pthread_mutex_unlock(&m->lock);
        return;
    }
    bool last = --m->in_flight == 0;
    pthread_mutex_unlock(&m->lock);
    job->discard(job);
    if (last)
        mailbox_free(m);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        while (queue_head == NULL)
            pthread_cond_wait(&queue_cond, &queue_lock);
        struct wmgw__job *job = queue_head;
        queue_head = job->next;
        if (queue_head == NULL)
            queue_tail = &queue_head;
        pthread_mutex_unlock(&queue_lock);
        job->run(job);
        deliver(job);
    }
    return NULL;
}

static void start_threads(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_t tid;
        if (pthread_create(&tid, &attr, worker, NULL) == 0)
            threads_started++;
    }
    pthread_attr_destroy(&attr);
}

/* On the loop: run done() of every finished job. */
static void on_wake(h2o_socket_t *sock, const char *err)
{
    struct wmgw__mailbox *m = sock->data;
    h2o_buffer_consume(&sock->input, sock->input->size);
    pthread_mutex_lock(&m->lock);
    struct wmgw__job *list = m->finished;
    m->finished = NULL;
    pthread_mutex_unlock(&m->lock);
    /* Oldest first, as they finished. */
    struct wmgw__job *rev = NULL;
    while (list != NULL) {
        struct wmgw__job *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev != NULL) {
        struct wmgw__job *job = rev;
        rev = job->next;
        pthread_mutex_lock(&m->lock);
        m->in_flight--;
        pthread_mutex_unlock(&m->lock);
        job->done(job);
    }
    (void)err; /* a pipe we own does not fail; a closed one means shutdown */
}

static int mailbox_open(struct wmgw_transport *t)
{
    struct wmgw__mailbox *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return WMGW_ENOMEM;
    if (pipe2(m->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(m);
        return WMGW_ENOMEM;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->open = true;
    m->sock = h2o_evloop_socket_create(t->loop, m->wake[0], 0);
    if (m->sock == NULL) {
        close(m->wake[0]);
        mailbox_free(m);
        return WMGW_ENOMEM;
    }
    m->sock->data = m;
    h2o_socket_read_start(m->sock, on_wake);
    t->mailbox = m;
    return 0;
}

int wmgw__offload(struct wmgw_transport *t, struct wmgw__job *job)
{
    pthread_once(&threads_once, start_threads);
    if (threads_started == 0)
        return WMGW_ENOMEM;
    if (t->mailbox == NULL && mailbox_open(t) != 0)
        return WMGW_ENOMEM;
    job->box = t->mailbox;
    job->next = NULL;
    pthread_mutex_lock(&t->mailbox->lock);
    t->mailbox->in_flight++;
    pthread_mutex_unlock(&t->mailbox->lock);
    pthread_mutex_lock(&queue_lock);
    *queue_tail = job;
    queue_tail = &job->next;
    pthread_cond_signal(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    return 0;
}

void wmgw__offload_close(struct wmgw_transport *t)
{
    struct wmgw__mailbox *m = t->mailbox;
    if (m == NULL)
        return;
    t->mailbox = NULL;
    /* Once unlocked, the last job's thread may free m: nothing of m is
     * touched after that unless this is the last user. */
    h2o_socket_t *sock = m->sock;
    pthread_mutex_lock(&m->lock);
    m->open = false;
    struct wmgw__job *list = m->finished;
    m->finished = NULL;
    unsigned left = 0;
    for (struct wmgw__job *j = list; j != NULL; j = j->next)
        left++;
    m->in_flight -= left;
    bool last = m->in_flight == 0;
    pthread_mutex_unlock(&m->lock);
    while (list != NULL) {
        struct wmgw__job *next = list->next;
        list->discard(list);
        list = next;
    }
    h2o_socket_close(sock); /* closes wake[0] */
    if (last)
        mailbox_free(m);
}
