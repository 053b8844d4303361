/*
 * stream.h: answering a listing (enumerate, query, associators,
 * references) as it arrives from the backend.
 *
 * Items are written to the caller as each backend batch is decoded; the
 * next batch is fetched only when h2o has sent the previous one, so memory
 * holds one batch whatever the size of the result (design.md: streaming
 * beats buffering).  Two shapes:
 *   application/json      {"items":[...],"next":URL|null}
 *   application/x-ndjson  one instance per line; {"@next":URL} last when
 *                         a limit cut the listing short
 * The status is decided when the first batch is complete: a backend error
 * before any item is a normal problem+json; one after items were sent ends
 * an NDJSON stream with a {"@error": problem} line and aborts a JSON one
 * (the connection is reset, so a truncated array is never mistaken for a
 * whole one).
 */
#ifndef WMGW_GATEWAY_STREAM_H
#define WMGW_GATEWAY_STREAM_H

#include <stdbool.h>

#include "gateway/cursor.h"
#include "gateway/exec.h"
#include "gateway/filter.h"

/* What a listing needs to write its "next" link. */
struct wmgw_stream_paging {
    struct wmgw_cursor cursor; /* filled except backend and expires */
    unsigned limit;            /* the page size asked for (0: none) */
    struct wmgw_filter filter; /* what the gateway evaluates itself (filter.h); zero: nothing */
};

/* Starts x->call (op already set) and streams its results; the paging
 * description is copied. */
void wmgw_stream_start(struct wmgw_exec *x, bool ndjson, const struct wmgw_stream_paging *paging);

#endif
