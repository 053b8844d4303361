/*
 * enumerate.c: WS-Enumeration as WinRM does it (MS-WSMV §3.1.4.1.13–17,
 * protocol-notes §1.6): Enumerate (with OptimizeEnumeration, MaxElements,
 * EnumerationMode and a filter), Pull, Release, and the contexts between
 * them, which expire when idle.
 *
 * Batches are cut by MaxElements (at most 32000, MaxBatchItems) and by the
 * envelope size the client allows, counted in UTF-16 as WinRM counts it:
 * the items that fit are sent, the rest wait for the next Pull.  Instances
 * are written as they are produced, so a 100,000-instance generated class
 * never sits whole in memory.
 *
 * A 2003 R2 host (its dialect row) ignores OptimizeEnumeration, MaxElements
 * in Enumerate and EnumerationMode (objects only), faults on any filter
 * (filter.c), and answers each instance as the class enumerated, located
 * by a cim:Location (MS-WSMAN §3.1.4.1.13, .16, .17, .27, .28).
 */
#include "tests/sim/envelope.h"
#include "tests/sim/fault.h"
#include "tests/sim/filter.h"
#include "tests/sim/host.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "translators/wsman/cimxml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_BATCH_ITEMS 32000

enum mode { MODE_OBJECTS, MODE_EPR, MODE_BOTH };

struct sim_enum {
    struct sim_enum *next;
    char id[42];
    uint64_t expires_ms;
    enum mode mode;
    const struct wmgw_cim_class *cast; /* the class enumerated, for dialects that cast to it */
    struct sim_query q;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void enum_free(struct sim_enum *e)
{
    sim_query_dispose(&e->q);
    free(e);
}

void sim_enum_expire(struct sim_host *h, bool all)
{
    uint64_t now = now_ms();
    struct sim_enum **pp = &h->enums;
    while (*pp != NULL) {
        struct sim_enum *e = *pp;
        if (all || e->expires_ms <= now) {
            *pp = e->next;
            enum_free(e);
        } else {
            pp = &e->next;
        }
    }
}

static struct sim_enum *enum_find(struct sim_host *h, const char *id, struct sim_enum ***link)
{
    for (struct sim_enum **pp = &h->enums; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            *link = pp;
            return *pp;
        }
    }
    return NULL;
}

/* The largest response this request may receive (UTF-16 octets). */
static size_t envelope_limit(const struct sim_ctx *ctx)
{
    size_t host_max = (size_t)ctx->host->max_envelope_kb * 1024;
    if (ctx->req.max_envelope > 0 && (size_t)ctx->req.max_envelope < host_max)
        return (size_t)ctx->req.max_envelope;
    return host_max;
}

/* One item in the chosen mode. */
static int write_item(struct sim_ctx *ctx, struct wmgw_buf *out, struct sim_enum *e,
                      const struct wmgw_cim_instance *inst)
{
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    const struct wmgw_cim_class *cls = sim_store_class_of(ctx->host->store, inst);
    int rc = 0;
    if (e->mode == MODE_BOTH)
        rc = wmgw_buf_addstr(out, "<w:Item>");
    if (rc == 0 && e->mode != MODE_EPR) {
        if (e->q.nselect > 0) {
            rc = wmgw_wsman_write_fragment(out, d, inst, cls, e->q.select, e->q.nselect);
        } else {
            struct wmgw_cim_instance *as = sim_cast_to(ctx->host, (struct wmgw_cim_instance *)inst, e->cast);
            rc = as ? wmgw_wsman_write_instance(out, d, as, e->cast && as != inst ? e->cast : cls, 0) : WMGW_ENOMEM;
            wmgw_cim_instance_unref(as);
        }
    }
    if (rc == 0 && e->mode != MODE_OBJECTS) {
        struct wmgw_cim_ref *path = cls ? wmgw_cim_instance_path(inst, cls) : NULL;
        rc = path ? wmgw_buf_addstr(out, "<a:EndpointReference>") : WMGW_ENOMEM;
        if (rc == 0)
            rc = wmgw_wsman_write_epr(out, d, path);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</a:EndpointReference>");
        wmgw_cim_ref_free(path);
    }
    if (rc == 0 && e->mode == MODE_BOTH)
        rc = wmgw_buf_addstr(out, "</w:Item>");
    return rc;
}

/* Appends to dst up to max items while the items stay within room (UTF-16
 * octets, as WinRM counts them); *count gets how many.  WMGW_ETOOBIG when
 * not even one item fits. */
static int write_batch(struct sim_ctx *ctx, struct sim_enum *e, long max, struct wmgw_buf *dst, size_t room,
                       long *count)
{
    struct wmgw_buf item;
    wmgw_buf_init(&item, room);
    size_t used = sim_utf16_size(dst->data, dst->len);
    *count = 0;
    int rc = 0;
    while (*count < max && !sim_query_done(&e->q)) {
        wmgw_buf_reset(&item);
        /* Peek (not take) so an item that does not fit waits for next time. */
        rc = write_item(ctx, &item, e, e->q.peek);
        size_t size = rc == 0 ? sim_utf16_size(item.data, item.len) : 0;
        if (rc == WMGW_ETOOBIG || (rc == 0 && used + size > room)) {
            rc = *count == 0 ? WMGW_ETOOBIG : 0;
            break;
        }
        if (rc == 0)
            rc = wmgw_buf_add(dst, item.data, item.len);
        if (rc != 0)
            break;
        used += size;
        wmgw_cim_instance_unref(sim_query_next(&e->q));
        (*count)++;
    }
    wmgw_buf_dispose(&item);
    return rc;
}

/* Room left for items after what ctx->out holds and the closing markup. */
static size_t items_room(const struct sim_ctx *ctx)
{
    size_t limit = envelope_limit(ctx), used = sim_utf16_size(ctx->out.data, ctx->out.len) + 1024;
    return limit > used ? limit - used : 0;
}

/* Writes the context element, the items and EndOfSequence when done. */
static int write_tail(struct sim_ctx *ctx, const char *items_elem, const struct wmgw_buf *items, bool with_items,
                      bool done, bool empty_context_when_done, const char *id)
{
    int rc = 0;
    if (!done)
        rc = wmgw_buf_printf(&ctx->out, "<n:EnumerationContext>%s</n:EnumerationContext>", id);
    else if (empty_context_when_done)
        rc = wmgw_buf_addstr(&ctx->out, "<n:EnumerationContext></n:EnumerationContext>");
    if (rc == 0 && with_items)
        rc = wmgw_buf_printf(&ctx->out, "<%s>", items_elem);
    if (rc == 0 && with_items && items->len > 0)
        rc = wmgw_buf_add(&ctx->out, items->data, items->len);
    if (rc == 0 && with_items)
        rc = wmgw_buf_printf(&ctx->out, "</%s>", items_elem);
    if (rc == 0 && done)
        rc = wmgw_buf_addstr(&ctx->out, items_elem[0] == 'w' ? "<w:EndOfSequence/>" : "<n:EndOfSequence/>");
    return rc;
}

static long clamp_elements(long n)
{
    return n < 1 ? 1 : n > MAX_BATCH_ITEMS ? MAX_BATCH_ITEMS : n;
}

static char *read_text(xmlTextReaderPtr r)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    if (wmgw_xmlr_text(r, &b, WMGW_XMLR_TRIM) != 0) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    return wmgw_buf_steal(&b, NULL);
}

int sim_op_enumerate(struct sim_ctx *ctx)
{
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    xmlTextReaderPtr r = ctx->reader;
    if (sim_request_body_first(ctx) != 1 || !wmgw_xmlr_is(r, WMGW_NS_WSEN, "Enumerate"))
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    struct sim_enum *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    bool optimize = false, filtered = false;
    long max_elements = 1;
    int rc = 0, more;
    int depth = xmlTextReaderDepth(r);
    bool empty = xmlTextReaderIsEmptyElement(r);
    while (rc == 0 && !empty && (more = wmgw_xmlr_next_child(r, depth)) == 1) {
        const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
        const char *local = (const char *)xmlTextReaderConstLocalName(r);
        bool wsman = wmgw_wsman_dialect_is_wsman_ns(d, ns);
        bool wsen = ns != NULL && strcmp(ns, WMGW_NS_WSEN) == 0;
        if (wsman && strcmp(local, "OptimizeEnumeration") == 0) {
            optimize = d->can_optimize;
            rc = wmgw_xmlr_skip(r);
        } else if (wsman && strcmp(local, "MaxElements") == 0) {
            char *t = read_text(r);
            max_elements = t ? strtol(t, NULL, 10) : 1;
            free(t);
        } else if (wsman && strcmp(local, "EnumerationMode") == 0 && d->has_enum_modes) {
            char *t = read_text(r);
            if (t != NULL && strcmp(t, "EnumerateEPR") == 0)
                e->mode = MODE_EPR;
            else if (t != NULL && strcmp(t, "EnumerateObjectAndEPR") == 0)
                e->mode = MODE_BOTH;
            else
                rc = sim_fault(ctx, SIM_FAULT_UNSUPPORTED_FEATURE, "EnumerationMode", NULL);
            free(t);
        } else if ((wsman || wsen) && strcmp(local, "Filter") == 0) {
            filtered = true;
            rc = sim_filter_prepare(ctx, &e->q, true);
        } else {
            rc = wmgw_xmlr_skip(r); /* Expires, MaxCharacters, ... */
        }
    }
    if (rc == 0 && !filtered)
        rc = sim_filter_prepare(ctx, &e->q, false);
    if (rc != 0) {
        enum_free(e);
        return -1;
    }
    sim_uuid(e->id);
    e->expires_ms = now_ms() + ctx->host->enum_timeout_ms;
    e->cast = ctx->cls ? ctx->cls->cls : NULL;
    /* Build the response; the context is kept only when items remain. */
    rc = sim_envelope_begin(ctx, WMGW_ACTION_ENUMERATE "Response");
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "<n:EnumerateResponse>");
    struct wmgw_buf items;
    wmgw_buf_init(&items, envelope_limit(ctx));
    long n = 0;
    if (rc == 0 && optimize)
        rc = write_batch(ctx, e, clamp_elements(max_elements), &items, items_room(ctx), &n);
    bool done = rc == 0 && optimize && sim_query_done(&e->q);
    /* WinRM sends an empty context element even when all items came. */
    if (rc == 0)
        rc = write_tail(ctx, "w:Items", &items, optimize, done, true, e->id);
    wmgw_buf_dispose(&items);
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "</n:EnumerateResponse>");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    if (rc != 0) {
        enum_free(e);
        return sim_fault(ctx, rc == WMGW_ETOOBIG ? SIM_FAULT_ENCODING_LIMIT : SIM_FAULT_INTERNAL_ERROR,
                         rc == WMGW_ETOOBIG ? "MaxEnvelopeSize" : NULL, NULL);
    }
    if (done) {
        enum_free(e);
    } else {
        e->next = ctx->host->enums;
        ctx->host->enums = e;
    }
    return 0;
}

/* Reads n:EnumerationContext (and n:MaxElements) from a Pull/Release body. */
static int read_context(struct sim_ctx *ctx, const char *op, char **id, long *max_elements)
{
    xmlTextReaderPtr r = ctx->reader;
    *id = NULL;
    if (sim_request_body_first(ctx) != 1 || !wmgw_xmlr_is(r, WMGW_NS_WSEN, op))
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    int depth = xmlTextReaderDepth(r), more;
    bool empty = xmlTextReaderIsEmptyElement(r);
    while (!empty && (more = wmgw_xmlr_next_child(r, depth)) == 1) {
        if (wmgw_xmlr_is(r, WMGW_NS_WSEN, "EnumerationContext")) {
            free(*id);
            *id = read_text(r);
        } else if (max_elements != NULL && wmgw_xmlr_is(r, WMGW_NS_WSEN, "MaxElements")) {
            char *t = read_text(r);
            *max_elements = t ? strtol(t, NULL, 10) : 1;
            free(t);
        } else {
            wmgw_xmlr_skip(r);
        }
    }
    if (*id == NULL)
        return sim_fault(ctx, SIM_FAULT_INVALID_ENUMERATION_CONTEXT, NULL, NULL);
    return 0;
}

int sim_op_pull(struct sim_ctx *ctx)
{
    char *id;
    long max_elements = 1;
    if (read_context(ctx, "Pull", &id, &max_elements) != 0)
        return -1;
    sim_enum_expire(ctx->host, false);
    struct sim_enum **link, *e = enum_find(ctx->host, id, &link);
    free(id);
    if (e == NULL)
        return sim_fault(ctx, SIM_FAULT_INVALID_ENUMERATION_CONTEXT, NULL, NULL);
    e->expires_ms = now_ms() + ctx->host->enum_timeout_ms;
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_PULL "Response");
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "<n:PullResponse>");
    struct wmgw_buf items;
    wmgw_buf_init(&items, envelope_limit(ctx));
    long n = 0;
    if (rc == 0)
        rc = write_batch(ctx, e, clamp_elements(max_elements), &items, items_room(ctx), &n);
    bool done = rc == 0 && sim_query_done(&e->q);
    /* Every PullResponse that continues names a new context, and the one
     * just used is spent (captures); the last carries only EndOfSequence. */
    char next_id[42];
    sim_uuid(next_id);
    if (rc == 0)
        rc = write_tail(ctx, "n:Items", &items, true, done, false, next_id);
    wmgw_buf_dispose(&items);
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "</n:PullResponse>");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    if (rc != 0)
        return sim_fault(ctx, rc == WMGW_ETOOBIG ? SIM_FAULT_ENCODING_LIMIT : SIM_FAULT_INTERNAL_ERROR,
                         rc == WMGW_ETOOBIG ? "MaxEnvelopeSize" : NULL, NULL);
    if (done) {
        *link = e->next;
        enum_free(e);
    } else {
        memcpy(e->id, next_id, sizeof(e->id));
    }
    return 0;
}

int sim_op_release(struct sim_ctx *ctx)
{
    char *id;
    if (read_context(ctx, "Release", &id, NULL) != 0)
        return -1;
    struct sim_enum **link, *e = enum_find(ctx->host, id, &link);
    free(id);
    if (e == NULL)
        return sim_fault(ctx, SIM_FAULT_INVALID_ENUMERATION_CONTEXT, NULL, NULL);
    *link = e->next;
    enum_free(e);
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_RELEASE "Response");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    return rc == 0 ? 0 : sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}
