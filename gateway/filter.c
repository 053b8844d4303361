/*
 * filter.c: WHERE and SELECT evaluated in the gateway (filter.h).
 *
 * The plan is made once per page from the host's translator caps; the
 * verdict per item runs on the worker's loop as the stream writes, after
 * the instance is typed by its own class (normalize.c), so a comparison
 * sees the values a filtering host's WMI would see.
 */
#include "gateway/filter.h"
#include "gateway/catalogue.h"
#include "gateway/exec.h"
#include "util/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct wmgw_cim_class *wmgw_filter_lookup(void *ctx, const char *class_name)
{
    struct wmgw_exec *x = ctx;
    const struct wmgw_cim_class *c = wmgw_exec_class(x, class_name);
    if (c == NULL && x->r->gw->catalogue != NULL)
        c = wmgw_catalogue_class(x->r->gw->catalogue, x->ns, class_name);
    return c;
}

static int parse_skip(const char *cursor, uint64_t *skip)
{
    size_t plen = strlen(WMGW_FILTER_CURSOR_PREFIX);
    if (strncmp(cursor, WMGW_FILTER_CURSOR_PREFIX, plen) != 0)
        return WMGW_EGONE;
    const char *p = cursor + plen;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (*p < '0' || *p > '9' || *end != '\0' || errno != 0)
        return WMGW_EINVAL;
    *skip = v;
    return 0;
}

int wmgw_filter_plan(struct wmgw_exec *x, struct wmgw_filter *f, const struct wmgw_wql_query *q, unsigned limit,
                     const char *cursor, struct wmgw_op *op)
{
    unsigned caps = wmgw_exec_caps(x);
    bool projection = !q->select_all && q->nselect > 0;
    bool local_where = q->where != NULL && !(caps & WMGW_CAP_FILTER);
    /* A condition evaluated here needs whole instances: project here too. */
    bool local_project = projection && (local_where || !(caps & WMGW_CAP_PROJECT));
    bool whole_query = op->kind == WMGW_OP_QUERY;
    memset(f, 0, sizeof(*f));
    if (!local_where && !local_project && (!whole_query || (caps & WMGW_CAP_FILTER))) {
        /* The host does it all: its own paging too. */
        if (cursor != NULL && strncmp(cursor, WMGW_FILTER_CURSOR_PREFIX, strlen(WMGW_FILTER_CURSOR_PREFIX)) == 0)
            return WMGW_EGONE;
        if (!whole_query)
            op->query = (q->where != NULL || projection) ? q : NULL;
        op->limit = limit;
        op->cursor = cursor;
        return 0;
    }
    /* Projected items are named as a host names its XmlFragments: after
     * the query's FROM class, or the class of the listing's path. */
    if (whole_query)
        f->relabel = q->class_name;
    else
        f->relabel = op->class_name != NULL ? op->class_name : x->class_name;
    /* A host that cannot run the query enumerates its FROM class. */
    if (whole_query) {
        op->kind = WMGW_OP_ENUMERATE;
        op->class_name = q->class_name;
    }
    f->remote = (struct wmgw_wql_query){.kind = WMGW_WQL_SELECT, .select_all = true, .class_name = q->class_name};
    if (q->where != NULL && !local_where)
        f->remote.where = q->where;
    if (projection && !local_project) {
        f->remote.select_all = false;
        f->remote.select = q->select;
        f->remote.nselect = q->nselect;
    }
    op->query = f->remote.where != NULL || !f->remote.select_all ? &f->remote : NULL;
    f->active = local_where || local_project;
    f->where = local_where ? q->where : NULL;
    f->project = local_project;
    f->select = q->select;
    f->nselect = q->nselect;
    if (!local_where) {
        /* One backend item, one answer item: the backend's paging serves. */
        if (cursor != NULL && strncmp(cursor, WMGW_FILTER_CURSOR_PREFIX, strlen(WMGW_FILTER_CURSOR_PREFIX)) == 0)
            return WMGW_EGONE;
        op->limit = limit;
        op->cursor = cursor;
        return 0;
    }
    if (cursor != NULL) {
        int rc = parse_skip(cursor, &f->skip);
        if (rc != 0)
            return rc;
    }
    f->limit = limit;
    op->limit = 0;
    op->cursor = NULL;
    return 0;
}

static bool selected(const struct wmgw_filter *f, const char *name)
{
    for (size_t i = 0; i < f->nselect; i++)
        if (strcasecmp(f->select[i], name) == 0)
            return true;
    return false;
}

/* Keeps the selected properties and names the item after the FROM class,
 * as a backend's XmlFragment does. */
static int project(const struct wmgw_filter *f, struct wmgw_cim_instance *inst)
{
    struct wmgw_cim_proplist *l = &inst->props;
    size_t keep = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (selected(f, l->items[i].name)) {
            l->items[keep++] = l->items[i];
            continue;
        }
        free(l->items[i].name);
        wmgw_cim_value_dispose(&l->items[i].value);
    }
    l->n = keep;
    if (f->relabel != NULL && strcmp(inst->class_name, f->relabel) != 0) {
        char *c = strdup(f->relabel);
        if (c == NULL)
            return WMGW_ENOMEM;
        free(inst->class_name);
        inst->class_name = c;
    }
    return 0;
}

enum wmgw_filter_verdict wmgw_filter_item(struct wmgw_filter *f, struct wmgw_exec *x, struct wmgw_cim_instance *inst,
                                          int *rc)
{
    *rc = 0;
    if (++f->seen <= f->skip)
        return WMGW_FILTER_DROP; /* an earlier page's */
    if (f->where != NULL && wmgw_wql_eval(f->where, inst, wmgw_filter_lookup, x) != 1)
        return WMGW_FILTER_DROP;
    if (f->limit > 0 && f->matched >= f->limit)
        return WMGW_FILTER_STOP;
    if (f->project && (*rc = project(f, inst)) != 0)
        return WMGW_FILTER_DROP;
    f->matched++;
    return WMGW_FILTER_KEEP;
}

void wmgw_filter_cursor(const struct wmgw_filter *f, char *buf, size_t size)
{
    /* The item that stopped the page was read but not written: start there. */
    snprintf(buf, size, "%s%" PRIu64, WMGW_FILTER_CURSOR_PREFIX, f->seen - 1);
}
