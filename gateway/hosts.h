/*
 * hosts.h: the fleet as the gateway knows it: configured hosts, added,
 * changed and removed at run time (POST/PUT/DELETE /v1/hosts), with their
 * health and identity.
 *
 * Shared by every worker: lookups take a read lock and hand out a counted
 * reference, so a host changed or removed while a call uses it stays valid
 * for that call; a change makes a new entry rather than editing the old.
 */
#ifndef WMGW_GATEWAY_HOSTS_H
#define WMGW_GATEWAY_HOSTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/config.h"
#include "translators/translator.h"

enum wmgw_health { WMGW_HEALTH_UNKNOWN, WMGW_HEALTH_UP, WMGW_HEALTH_DOWN };

struct wmgw_host {
    atomic_uint refcnt;
    struct wmgw_host_config cfg; /* cfg.backend->name is the host's name */
    pthread_mutex_t lock;        /* guards the fields below */
    enum wmgw_health health;
    int64_t checked_at;          /* unix seconds of the last backend answer or failure */
    char last_error[256];
    bool has_identity;
    struct wmgw_identity identity;
    enum wmgw_protocol detected; /* for protocol auto; WMGW_PROTO_AUTO until known */
    unsigned consecutive_failures;
};

struct wmgw_hosts;

struct wmgw_hosts *wmgw_hosts_new(void);
void wmgw_hosts_free(struct wmgw_hosts *hs);

/* Adds a copy of cfg.  With replace, an existing host of that name is
 * replaced (*created says which happened); without, WMGW_EEXIST. */
int wmgw_hosts_put(struct wmgw_hosts *hs, const struct wmgw_host_config *cfg, bool replace, bool *created);
int wmgw_hosts_remove(struct wmgw_hosts *hs, const char *name);
/* A counted reference, or NULL. */
struct wmgw_host *wmgw_hosts_get(struct wmgw_hosts *hs, const char *name);
/* Counted references to every host, in name order; *n gets the count. */
struct wmgw_host **wmgw_hosts_list(struct wmgw_hosts *hs, size_t *n);
void wmgw_hosts_list_free(struct wmgw_host **list, size_t n);

struct wmgw_host *wmgw_host_ref(struct wmgw_host *h);
void wmgw_host_unref(struct wmgw_host *h);

/* Records the outcome of a backend call for /v1/hosts health. */
void wmgw_host_record(struct wmgw_host *h, const struct wmgw_backend_error *err);
void wmgw_host_set_identity(struct wmgw_host *h, const struct wmgw_identity *id);

/* What IDENTIFY found for a protocol-auto host (WMGW_PROTO_AUTO while
 * unknown); for other hosts, their configured protocol. */
enum wmgw_protocol wmgw_host_protocol(struct wmgw_host *h);
/* A protocol-auto host whose protocol is not known yet: its first call
 * must be IDENTIFY (exec.c does that). */
bool wmgw_host_needs_detection(struct wmgw_host *h);
/* What the host's translator can do (WMGW_CAP_*), for its protocol. */
unsigned wmgw_host_caps(struct wmgw_host *h);
/* Points call at the host: backend, translator and the detected protocol
 * (translator.h, wmgw_call.protocol).  The caller sets the rest. */
void wmgw_host_prepare_call(struct wmgw_host *h, struct wmgw_call *call);

#endif
