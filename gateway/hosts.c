/*
 * hosts.c: the host registry (hosts.h).  A sorted array of counted
 * entries behind a read-write lock; writers swap entries, readers copy a
 * reference out, so no reader ever sees a half-changed host.
 */
#include "gateway/hosts.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct wmgw_hosts {
    pthread_rwlock_t lock;
    size_t n;
    struct wmgw_host **items; /* sorted by name, case-insensitively */
};

struct wmgw_hosts *wmgw_hosts_new(void)
{
    struct wmgw_hosts *hs = calloc(1, sizeof(*hs));
    if (hs != NULL)
        pthread_rwlock_init(&hs->lock, NULL);
    return hs;
}

void wmgw_hosts_free(struct wmgw_hosts *hs)
{
    if (hs == NULL)
        return;
    for (size_t i = 0; i < hs->n; i++)
        wmgw_host_unref(hs->items[i]);
    free(hs->items);
    pthread_rwlock_destroy(&hs->lock);
    free(hs);
}

struct wmgw_host *wmgw_host_ref(struct wmgw_host *h)
{
    atomic_fetch_add(&h->refcnt, 1);
    return h;
}

void wmgw_host_unref(struct wmgw_host *h)
{
    if (h == NULL || atomic_fetch_sub(&h->refcnt, 1) != 1)
        return;
    wmgw_host_config_dispose(&h->cfg);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static const char *name_of(const struct wmgw_host *h)
{
    return h->cfg.backend->name;
}

/* Index of name, or -(insertion point) - 1. */
static long find(const struct wmgw_hosts *hs, const char *name)
{
    size_t lo = 0, hi = hs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcasecmp(name_of(hs->items[mid]), name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

int wmgw_hosts_put(struct wmgw_hosts *hs, const struct wmgw_host_config *cfg, bool replace, bool *created)
{
    struct wmgw_host *h = calloc(1, sizeof(*h));
    if (h == NULL || wmgw_host_config_copy(&h->cfg, cfg) != 0) {
        free(h);
        return WMGW_ENOMEM;
    }
    atomic_init(&h->refcnt, 1);
    pthread_mutex_init(&h->lock, NULL);
    h->detected = WMGW_PROTO_AUTO;
    pthread_rwlock_wrlock(&hs->lock);
    long at = find(hs, name_of(h));
    int rc = 0;
    if (at >= 0) {
        if (!replace) {
            rc = WMGW_EEXIST;
        } else {
            wmgw_host_unref(hs->items[at]);
            hs->items[at] = h;
        }
        if (created)
            *created = false;
    } else {
        struct wmgw_host **items = realloc(hs->items, (hs->n + 1) * sizeof(*items));
        if (items == NULL) {
            rc = WMGW_ENOMEM;
        } else {
            size_t pos = (size_t)(-at - 1);
            hs->items = items;
            memmove(&items[pos + 1], &items[pos], (hs->n - pos) * sizeof(*items));
            items[pos] = h;
            hs->n++;
            if (created)
                *created = true;
        }
    }
    pthread_rwlock_unlock(&hs->lock);
    if (rc != 0)
        wmgw_host_unref(h);
    return rc;
}

int wmgw_hosts_remove(struct wmgw_hosts *hs, const char *name)
{
    pthread_rwlock_wrlock(&hs->lock);
    long at = find(hs, name);
    struct wmgw_host *gone = NULL;
    if (at >= 0) {
        gone = hs->items[at];
        memmove(&hs->items[at], &hs->items[at + 1], (hs->n - (size_t)at - 1) * sizeof(*hs->items));
        hs->n--;
    }
    pthread_rwlock_unlock(&hs->lock);
    wmgw_host_unref(gone);
    return gone ? 0 : WMGW_ENOTFOUND;
}

struct wmgw_host *wmgw_hosts_get(struct wmgw_hosts *hs, const char *name)
{
    pthread_rwlock_rdlock(&hs->lock);
    long at = find(hs, name);
    struct wmgw_host *h = at >= 0 ? wmgw_host_ref(hs->items[at]) : NULL;
    pthread_rwlock_unlock(&hs->lock);
    return h;
}

struct wmgw_host **wmgw_hosts_list(struct wmgw_hosts *hs, size_t *n)
{
    pthread_rwlock_rdlock(&hs->lock);
    struct wmgw_host **list = calloc(hs->n ? hs->n : 1, sizeof(*list));
    *n = 0;
    if (list != NULL) {
        for (size_t i = 0; i < hs->n; i++)
            list[i] = wmgw_host_ref(hs->items[i]);
        *n = hs->n;
    }
    pthread_rwlock_unlock(&hs->lock);
    return list;
}

void wmgw_hosts_list_free(struct wmgw_host **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wmgw_host_unref(list[i]);
    free(list);
}

void wmgw_host_record(struct wmgw_host *h, const struct wmgw_backend_error *err)
{
    /* Only failures to reach the host make it "down"; a fault is an answer. */
    bool down = err != NULL && (err->code == WMGW_ECONN || err->code == WMGW_ETIMEDOUT || err->code == WMGW_EPROTO);
    pthread_mutex_lock(&h->lock);
    h->checked_at = (int64_t)time(NULL);
    if (down) {
        h->consecutive_failures++;
        h->health = WMGW_HEALTH_DOWN;
        snprintf(h->last_error, sizeof(h->last_error), "%.250s", err->message[0] ? err->message : "unreachable");
    } else {
        h->consecutive_failures = 0;
        h->health = WMGW_HEALTH_UP;
        h->last_error[0] = '\0';
    }
    pthread_mutex_unlock(&h->lock);
}

void wmgw_host_set_identity(struct wmgw_host *h, const struct wmgw_identity *id)
{
    pthread_mutex_lock(&h->lock);
    h->identity = *id;
    h->has_identity = true;
    if (id->protocol != WMGW_PROTO_AUTO)
        h->detected = id->protocol;
    pthread_mutex_unlock(&h->lock);
}

static enum wmgw_protocol detected_of(struct wmgw_host *h)
{
    pthread_mutex_lock(&h->lock);
    enum wmgw_protocol p = h->detected;
    pthread_mutex_unlock(&h->lock);
    return p;
}

enum wmgw_protocol wmgw_host_protocol(struct wmgw_host *h)
{
    enum wmgw_protocol p = h->cfg.backend->protocol;
    return p == WMGW_PROTO_AUTO ? detected_of(h) : p;
}

bool wmgw_host_needs_detection(struct wmgw_host *h)
{
    return wmgw_host_protocol(h) == WMGW_PROTO_AUTO;
}

unsigned wmgw_host_caps(struct wmgw_host *h)
{
    return wmgw_translator_caps(h->cfg.backend, detected_of(h));
}

void wmgw_host_prepare_call(struct wmgw_host *h, struct wmgw_call *call)
{
    call->backend = h->cfg.backend;
    call->protocol = detected_of(h);
    call->tr = wmgw_translator_for(wmgw_host_protocol(h));
}
