/*
 * memory.h: the memory store's process-wide state, shared by memory.c
 * (entries, flights, generations) and memory_snapshot.c.
 *
 * One mutex guards all of it; every worker thread takes it for the few
 * microseconds a lookup, fill or page read needs.  Waiters may belong to
 * any worker: whoever resolves a flight readies each waiter on its own
 * worker (wmgw__op_ready), still under the lock, which is what makes
 * cancelling from the waiter's thread safe (cache_int.h).
 */
#ifndef WMGW_CACHE_MEMORY_H
#define WMGW_CACHE_MEMORY_H

#include "cache/cache_int.h"
#include "cache/lru.h"

struct wmgw__mem {
    pthread_mutex_t lock;
    struct wmgw__lru lru;
    struct wmgw__table flights; /* of mem_flight, by key text */
    h2o_linklist_t flight_list;
    struct wmgw__table hosts;   /* of mem_host: each host's generation */
    uint64_t next_gen;
    struct wmgw__table snaps;   /* of mem_snap, by id */
    h2o_linklist_t snap_list;
    size_t snap_bytes;
};

/* memory_snapshot.c */
int wmgw__mem_snapshot_begin(struct wmgw_cache_snapshot *s);
int wmgw__mem_snapshot_append(struct wmgw_cache_snapshot *s, const void *item, size_t n);
void wmgw__mem_snapshot_end(struct wmgw_cache_snapshot *s, bool commit);
void wmgw__mem_page(struct wmgw_cache_op *op);
void wmgw__mem_snapshots_free(struct wmgw__mem *m);

#endif
