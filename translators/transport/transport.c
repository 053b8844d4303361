/*
 * transport.c: the per-worker transport (http_client.h): its timeout
 * registry and its keep-alive pools, one per backend id × credential.
 *
 * Pools bound what they keep idle by the backend's pool_size (connections
 * beyond are closed when their exchange ends; how many run at once is the
 * caller's per-host queue's business).  Reuse is last-in first-out, so
 * surplus connections age out.  An idle connection is watched: a close or
 * any byte from the server (it has nothing to say between responses)
 * closes it at once, and so does WMGW__IDLE_MS of idleness; before reuse,
 * a non-blocking MSG_PEEK catches a close the loop has not polled yet.
 * What is left is a race with the server's own idle close, which
 * http_client.c's single retry covers.
 */
#include "translators/transport/transport_int.h"
#include "translators/backend.h"
#include "translators/transport/auth_http.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- timeouts --------------------------------------------------------------- */

h2o_timeout_t *wmgw__timeout_get(struct wmgw_transport *t, unsigned ms)
{
    struct wmgw__timeout *best = NULL;
    if (ms == 0)
        return &t->zero;
    for (size_t i = 0; i < t->ntimeouts; i++) {
        struct wmgw__timeout *o = t->timeouts[i];
        if (o->ms == ms)
            return &o->to;
        if (o->ms < ms && (best == NULL || best->ms < o->ms))
            best = o;
    }
    if (t->ntimeouts < WMGW__TIMEOUTS_MAX) {
        struct wmgw__timeout *o = malloc(sizeof(*o));
        if (o != NULL) {
            o->ms = ms;
            h2o_timeout_init(t->loop, &o->to, ms);
            t->timeouts[t->ntimeouts++] = o;
            return &o->to;
        }
    }
    /* Full (or no memory): the nearest shorter duration, else the
     * shortest; never the zero one, which would fire at once. */
    if (best == NULL)
        for (size_t i = 0; i < t->ntimeouts; i++)
            if (best == NULL || t->timeouts[i]->ms < best->ms)
                best = t->timeouts[i];
    return best != NULL ? &best->to : NULL;
}

/* --- pools ------------------------------------------------------------------ */

static bool same_cred(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static struct wmgw__pool *find_pool(struct wmgw_transport *t, uint64_t backend_id, const char *cred)
{
    for (struct wmgw__pool *p = t->pools; p != NULL; p = p->next)
        if (p->backend_id == backend_id && !p->forgotten && same_cred(p->cred, cred))
            return p;
    return NULL;
}

static void free_pool(struct wmgw_transport *t, struct wmgw__pool *pool)
{
    for (struct wmgw__pool **pp = &t->pools; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == pool) {
            *pp = pool->next;
            break;
        }
    }
    free(pool->cred);
    free(pool);
}

static struct wmgw__conn *idle_head(struct wmgw__pool *pool)
{
    return H2O_STRUCT_FROM_MEMBER(struct wmgw__conn, idle_link, pool->idle.next);
}

void wmgw__conn_close(struct wmgw__conn *c)
{
    struct wmgw_transport *t = c->t;
    h2o_timeout_unlink(&c->idle_timer);
    if (h2o_linklist_is_linked(&c->idle_link)) {
        h2o_linklist_unlink(&c->idle_link);
        c->pool->nidle--;
        t->stats.idle--;
    }
    if (c->sock != NULL) {
        c->sock->data = NULL;
        h2o_socket_close(c->sock);
    }
    if (c->ssl_ctx != NULL)
        SSL_CTX_free(c->ssl_ctx);
    wmgw_auth_conn_free(c->auth);
    if (--c->pool->nconns == 0)
        free_pool(t, c->pool);
    free(c);
}

struct wmgw__conn *wmgw__conn_new(struct wmgw_transport *t, uint64_t backend_id, const char *cred)
{
    struct wmgw__pool *pool = find_pool(t, backend_id, cred);
    if (pool == NULL) {
        if ((pool = calloc(1, sizeof(*pool))) == NULL)
            return NULL;
        pool->backend_id = backend_id;
        if (cred != NULL && (pool->cred = strdup(cred)) == NULL) {
            free(pool);
            return NULL;
        }
        h2o_linklist_init_anchor(&pool->idle);
        pool->next = t->pools;
        t->pools = pool;
    }
    struct wmgw__conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        if (pool->nconns == 0)
            free_pool(t, pool);
        return NULL;
    }
    c->t = t;
    c->pool = pool;
    pool->nconns++;
    return c;
}

static void on_idle_read(h2o_socket_t *sock, const char *err)
{
    struct wmgw__conn *c = sock->data;
    /* A read with no new bytes is TLS housekeeping (a session ticket). */
    if (err != NULL || sock->input->size != 0)
        wmgw__conn_close(c);
}

static void on_idle_timeout(h2o_timeout_entry_t *entry)
{
    wmgw__conn_close(H2O_STRUCT_FROM_MEMBER(struct wmgw__conn, idle_timer, entry));
}

void wmgw__conn_release(struct wmgw__conn *c, bool reusable, unsigned limit)
{
    struct wmgw__pool *pool = c->pool;
    h2o_timeout_t *idle = reusable ? wmgw__timeout_get(c->t, WMGW__IDLE_MS) : NULL;
    c->x = NULL;
    /* A write still going means the server answered before reading all
     * of the request: the connection's state is unknown. */
    if (idle == NULL || pool->forgotten || pool->nidle >= limit || h2o_socket_is_writing(c->sock)) {
        wmgw__conn_close(c);
        return;
    }
    h2o_linklist_insert(pool->idle.next, &c->idle_link);
    pool->nidle++;
    c->t->stats.idle++;
    h2o_socket_read_start(c->sock, on_idle_read);
    c->idle_timer.cb = on_idle_timeout;
    h2o_timeout_link(c->t->loop, idle, &c->idle_timer);
}

/* Whether an idle connection still looks usable. */
static bool looks_open(struct wmgw__conn *c)
{
    char byte;
    if (c->sock->input->size != 0)
        return false;
    ssize_t n = recv(h2o_socket_get_fd(c->sock), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    /* Pending bytes: never a response on plain HTTP; under TLS possibly
     * records that carry no data (tickets), so let the retry rule judge. */
    return n > 0 && c->sock->ssl != NULL;
}

struct wmgw__conn *wmgw__pool_take(struct wmgw_transport *t, uint64_t backend_id, const char *cred)
{
    struct wmgw__pool *pool;
    while ((pool = find_pool(t, backend_id, cred)) != NULL && pool->nidle > 0) {
        struct wmgw__conn *c = idle_head(pool);
        h2o_linklist_unlink(&c->idle_link);
        h2o_timeout_unlink(&c->idle_timer);
        pool->nidle--;
        t->stats.idle--;
        if (looks_open(c))
            return c;
        wmgw__conn_close(c);
    }
    return NULL;
}

/* --- the transport ------------------------------------------------------------ */

struct wmgw_transport *wmgw_transport_new(struct st_h2o_evloop_t *loop)
{
    struct wmgw_transport *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->loop = loop;
    t->tls_key_idle_ms = WMGW__TLS_KEY_IDLE_MS;
    h2o_timeout_init(loop, &t->zero, 0);
    h2o_linklist_init_anchor(&t->exchanges);
    return t;
}

/* Closes the idle connections of every pool of backend_id (all backends
 * when all is set) and keeps the busy ones from coming back. */
static void forget_pools(struct wmgw_transport *t, uint64_t backend_id, bool all)
{
    struct wmgw__pool **pp = &t->pools;
    while (*pp != NULL) {
        struct wmgw__pool *pool = *pp;
        if (!all && pool->backend_id != backend_id) {
            pp = &pool->next;
            continue;
        }
        pool->forgotten = true;
        /* Closing the last connection frees the pool and unlinks it. */
        bool goes = pool->nconns == pool->nidle;
        for (size_t n = pool->nidle; n > 0; n--)
            wmgw__conn_close(idle_head(pool));
        if (!goes)
            pp = &pool->next;
    }
}

void wmgw_transport_forget(struct wmgw_transport *t, uint64_t backend_id)
{
    for (unsigned i = 0; i < WMGW_TRANSPORT_SLOTS; i++)
        if (t->slots[i].data != NULL && t->slots[i].forget != NULL)
            t->slots[i].forget(t->slots[i].data, backend_id);
    forget_pools(t, backend_id, false);
    wmgw__tls_forget(t, backend_id);
}

void wmgw_transport_free(struct wmgw_transport *t)
{
    if (t == NULL)
        return;
    wmgw__cancel_all(t);
    wmgw__offload_close(t);
    for (unsigned i = 0; i < WMGW_TRANSPORT_SLOTS; i++)
        if (t->slots[i].data != NULL && t->slots[i].free != NULL)
            t->slots[i].free(t->slots[i].data);
    forget_pools(t, 0, true);
    wmgw__tls_free(t);
    for (size_t i = 0; i < t->ntimeouts; i++) {
        h2o_timeout_dispose(t->loop, &t->timeouts[i]->to);
        free(t->timeouts[i]);
    }
    h2o_timeout_dispose(t->loop, &t->zero);
    free(t);
}

struct st_h2o_evloop_t *wmgw_transport_loop(struct wmgw_transport *t)
{
    return t->loop;
}

struct st_h2o_timeout_t *wmgw_transport_timeout(struct wmgw_transport *t, unsigned ms)
{
    return wmgw__timeout_get(t, ms);
}

struct wmgw_transport_slot *wmgw_transport_slot(struct wmgw_transport *t, unsigned which)
{
    return which < WMGW_TRANSPORT_SLOTS ? &t->slots[which] : NULL;
}

void wmgw_transport_stats(const struct wmgw_transport *t, struct wmgw_transport_stats *out)
{
    *out = t->stats;
}
