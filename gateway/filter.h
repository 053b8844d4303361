/*
 * filter.h: WQL WHERE and SELECT evaluated by the gateway, for hosts whose
 * protocol cannot filter or project on the server (translator caps without
 * WMGW_CAP_FILTER / WMGW_CAP_PROJECT: the Windows Server 2003 R2 dialect).
 *
 * The translator then enumerates the class unfiltered and the stream
 * (stream.c) hands every decoded, typed instance to wmgw_filter_item(),
 * which evaluates the condition with cim/wql.h (ISA through the classes the
 * call knows and the class catalogue), keeps the selected properties plus
 * the keys, and names a projected item after the FROM class, exactly as a
 * backend's XmlFragment comes back: a listing gives the same items in the
 * same order, as the same JSON, as on a host that filters.
 *
 * Paging.  A backend cannot stop at "N matches", and its enumeration
 * context cannot be rewound, so a local page reads the unfiltered
 * enumeration from the start: the cursor ("skip:<n>", signed like any
 * cursor) remembers how many backend items the previous pages consumed,
 * and the next page skips that many without evaluating them.  After the
 * page's `limit` matches the page reads on to the next match (or the end),
 * so `next` is null exactly when nothing more matches, as with a filtering
 * host; that match is the first item of the next page.  The cost is a
 * re-read of the consumed items per page, and a page sees the data as it
 * is when the page is read (a host's own enumeration is a snapshot): an
 * instance created or deleted before the cursor's position between two
 * pages shifts the skip by one.
 */
#ifndef WMGW_GATEWAY_FILTER_H
#define WMGW_GATEWAY_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "cim/wql.h"

struct wmgw_exec;
struct wmgw_op;

#define WMGW_FILTER_CURSOR_PREFIX "skip:"

struct wmgw_filter {
    bool active;                      /* the stream must call wmgw_filter_item */
    const struct wmgw_wql_expr *where; /* evaluated here, or NULL (borrowed from the query) */
    bool project;                     /* keep only `select` (the keys are in it already) */
    char *const *select;
    size_t nselect;
    const char *relabel;              /* projected items are of this class (the FROM class) */
    unsigned limit;                   /* matches per page; 0: no paging */
    uint64_t skip;                    /* backend items the previous pages consumed */
    uint64_t seen;                    /* backend items this page has read */
    unsigned matched;                 /* matches this page has written */
    struct wmgw_wql_query remote;     /* what the backend still does (a shallow copy) */
};

/* Decides what host x's protocol does and what the gateway does for a
 * listing of q (a SELECT; for listInstances its FROM class is the path's),
 * and sets op accordingly: op->kind stays QUERY only when the host runs the
 * whole query; otherwise it becomes ENUMERATE of the FROM class, with
 * op->query the part the backend still does (or NULL), op->limit and
 * op->cursor for the backend's own paging, or none when f pages.
 * `cursor` is the translator continuation from a listing cursor, or NULL.
 * op->query may point into f (f->remote): f must live as long as the call
 * (wmgw_stream_start copies f and points op->query at its copy).
 * Returns 0, or WMGW_EGONE for a cursor of the other kind (the host's
 * protocol changed since), WMGW_EINVAL for a malformed one. */
int wmgw_filter_plan(struct wmgw_exec *x, struct wmgw_filter *f, const struct wmgw_wql_query *q, unsigned limit,
                     const char *cursor, struct wmgw_op *op);

enum wmgw_filter_verdict {
    WMGW_FILTER_DROP,  /* not written */
    WMGW_FILTER_KEEP,  /* written (projected in place when asked) */
    WMGW_FILTER_STOP,  /* the page is full and this item starts the next: stop here */
};

/* The fate of the next backend item, in backend order; inst is typed by
 * its class already and owned by the caller (changed in place).  *rc is 0
 * or WMGW_ENOMEM. */
enum wmgw_filter_verdict wmgw_filter_item(struct wmgw_filter *f, struct wmgw_exec *x, struct wmgw_cim_instance *inst,
                                          int *rc);

/* The continuation after a STOP: "skip:<n>" into buf. */
void wmgw_filter_cursor(const struct wmgw_filter *f, char *buf, size_t size);

/* Looks a class up for ISA: the call's own classes, then the catalogue. */
const struct wmgw_cim_class *wmgw_filter_lookup(void *x, const char *class_name);

#endif
