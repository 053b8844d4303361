/*
 * cache_write.h: a write through the gateway (create, modify, delete,
 * method invocation) invalidates what the answer cache holds for its host
 * before the write is answered, so the caller's next read, through this
 * replica or any other sharing the Redis store, cannot see the old answer.
 */
#ifndef WMGW_GATEWAY_CACHE_WRITE_H
#define WMGW_GATEWAY_CACHE_WRITE_H

struct wmgw_exec;

/* Called by wmgw_exec_start once x->call's sink is set: for a write op
 * with the cache on, puts a sink in front whose on_done first invalidates
 * the host (wmgw_cache_invalidate), then hands on.  Otherwise nothing. */
void wmgw_cache_wrap_write(struct wmgw_exec *x);

#endif
