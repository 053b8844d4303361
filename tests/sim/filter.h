/*
 * filter.h: the enumeration filter dialects of WinRM (protocol-notes §1.6):
 * WQL (SELECT, ASSOCIATORS OF, REFERENCES OF), the selector filter and the
 * CIM binding's association filter, turned into one `struct sim_query`
 * that the enumeration walks: a source of instances plus a predicate and
 * an optional projection.
 */
#ifndef WMSIM_FILTER_H
#define WMSIM_FILTER_H

#include <stdbool.h>

#include "cim/cim.h"
#include "cim/wql.h"
#include "tests/sim/store.h"

struct sim_ctx;

struct sim_query {
    struct sim_store *store;
    char *ns;
    struct wmgw_cim_instance *peek; /* lookahead, so the end is known early */
    /* Source: a cursor over a class (and subclasses), or a precomputed list
     * (association results). */
    bool use_list;
    struct sim_cursor cur;
    size_t nlist, poslist;
    struct wmgw_cim_instance **list;
    /* Predicate: WQL condition and/or selector equalities. */
    struct wmgw_wql_expr *where;
    struct wmgw_cim_proplist equals;
    /* Projection (WQL SELECT list): items become w:XmlFragment. */
    size_t nselect;
    char **select;
};

/* Reads the w:Filter (or n:Filter) element under the reader and prepares
 * q; with no filter element, q enumerates the request's class.  Returns 0,
 * or -1 after writing a fault. */
int sim_filter_prepare(struct sim_ctx *ctx, struct sim_query *q, bool has_filter);

/* Prepares q for a WQL query text in namespace ns, without a resource
 * URI's class to agree with (the DCOM front's ExecQuery).  0, or -1 after
 * sim_fault (CannotProcessFilter for a query WMI rejects). */
int sim_query_prepare_wql(struct sim_ctx *ctx, struct sim_query *q, const char *ns, const char *text);

/* The next instance that passes the filter (new reference), NULL at the end. */
struct wmgw_cim_instance *sim_query_next(struct sim_query *q);
bool sim_query_done(struct sim_query *q);
void sim_query_dispose(struct sim_query *q);

#endif
