/*
 * request.c: reads a WS-Management request envelope's headers and checks
 * them the way WinRM does (MS-WSMV §3.1.4.1.x, protocol-notes §1.3), or a
 * Windows Server 2003 R2 host (MS-WSMAN §3.1.4.1.x), as the host's dialect
 * row says: its wsman namespace (a header in any other namespace is not
 * understood: mustUnderstand="true" on it is a fault), whether OptionSet
 * and FragmentTransfer are processed, whether Identify exists at all (a
 * 2003 R2 host reads an Identify as any request without a wsa:Action), and
 * the form MessageIDs must have.
 */
#include "tests/sim/request.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "translators/wsman/cimxml.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

void sim_request_dispose(struct sim_request *req)
{
    free(req->action);
    free(req->resource_uri);
    free(req->message_id);
    free(req->to);
    free(req->fragment);
    wmgw_cim_proplist_dispose(&req->selectors);
    for (size_t i = 0; i < req->noptions; i++) {
        free(req->options[i].name);
        free(req->options[i].value);
    }
    free(req->options);
    memset(req, 0, sizeof(*req));
}

const char *sim_request_option(const struct sim_request *req, const char *name)
{
    for (size_t i = 0; i < req->noptions; i++)
        if (strcasecmp(req->options[i].name, name) == 0)
            return req->options[i].value ? req->options[i].value : "";
    return NULL;
}

long sim_request_timeout_ms(const struct sim_ctx *ctx)
{
    long max = (long)ctx->host->max_timeout_ms;
    return ctx->req.timeout_ms >= 0 && ctx->req.timeout_ms < max ? ctx->req.timeout_ms : max;
}

long sim_parse_duration_ms(const char *s)
{
    /* xs:duration restricted to what a timeout can be: PnDTnHnMn.nS. */
    const char *p = s;
    if (*p++ != 'P')
        return -1;
    double ms = 0;
    bool in_time = false, any = false;
    while (*p) {
        if (*p == 'T' && !in_time) {
            in_time = true;
            p++;
            continue;
        }
        char *end;
        if (!isdigit((unsigned char)*p))
            return -1;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        char unit = *end;
        if (unit == 'D' && !in_time)
            ms += v * 86400000.0;
        else if (unit == 'H' && in_time)
            ms += v * 3600000.0;
        else if (unit == 'M' && in_time)
            ms += v * 60000.0;
        else if (unit == 'S' && in_time)
            ms += v * 1000.0;
        else
            return -1;
        any = true;
        p = end + 1;
    }
    if (!any || ms > 1e12)
        return -1;
    return (long)ms;
}

/* uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, any case (MS-WSMAN §3.1.4.1.5). */
static bool uuid_form(const char *id)
{
    static const char shape[] = "uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(id) != sizeof(shape) - 1 || strncasecmp(id, "uuid:", 5) != 0)
        return false;
    for (size_t i = 5; shape[i]; i++)
        if (shape[i] == '-' ? id[i] != '-' : !isxdigit((unsigned char)id[i]))
            return false;
    return true;
}

static bool must_understand(xmlTextReaderPtr r)
{
    char *mu = wmgw_xmlr_attr(r, "mustUnderstand", WMGW_NS_SOAP);
    bool yes = mu != NULL && (strcmp(mu, "true") == 0 || strcmp(mu, "1") == 0);
    free(mu);
    return yes;
}

/* The trimmed text of the current element, malloc'd, or NULL on error. */
static char *element_text(xmlTextReaderPtr r)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64 * 1024);
    if (wmgw_xmlr_text(r, &b, WMGW_XMLR_TRIM) != 0) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    return wmgw_buf_steal(&b, NULL);
}

static int read_reply_to(struct sim_ctx *ctx, bool *anonymous)
{
    xmlTextReaderPtr r = ctx->reader;
    *anonymous = false;
    if (xmlTextReaderIsEmptyElement(r))
        return 0;
    int depth = xmlTextReaderDepth(r), rc;
    while ((rc = wmgw_xmlr_next_child(r, depth)) == 1) {
        if (wmgw_xmlr_is(r, WMGW_NS_WSA, "Address")) {
            char *a = element_text(r);
            *anonymous = a != NULL && strcmp(a, WMGW_WSA_ANONYMOUS) == 0;
            free(a);
        } else if ((rc = wmgw_xmlr_skip(r)) != 0) {
            return rc;
        }
    }
    return rc;
}

static int read_options(struct sim_ctx *ctx)
{
    xmlTextReaderPtr r = ctx->reader;
    struct sim_request *req = &ctx->req;
    if (xmlTextReaderIsEmptyElement(r))
        return 0;
    int depth = xmlTextReaderDepth(r), rc;
    while ((rc = wmgw_xmlr_next_child(r, depth)) == 1) {
        if (!wmgw_xmlr_is(r, ctx->req.dialect_ns, "Option") || req->noptions >= 64) {
            if ((rc = wmgw_xmlr_skip(r)) != 0)
                return rc;
            continue;
        }
        struct sim_option *o = realloc(req->options, (req->noptions + 1) * sizeof(*o));
        if (o == NULL)
            return WMGW_ENOMEM;
        req->options = o;
        o = &o[req->noptions++];
        o->name = wmgw_xmlr_attr(r, "Name", NULL);
        o->value = wmgw_xmlr_is_nil(r) ? NULL : element_text(r);
        if (o->value == NULL && !xmlTextReaderIsEmptyElement(r))
            wmgw_xmlr_skip(r);
        if (o->name == NULL)
            o->name = strdup("");
    }
    return rc;
}

/* A mustUnderstand header the host does not understand: remembered, and
 * skipped, so the fault (after every header is read, SOAP 1.2 §5.2.3)
 * can still relate to the request's MessageID. */
static int not_understood(struct sim_ctx *ctx, const char *local)
{
    if (ctx->req.not_understood[0] == '\0')
        snprintf(ctx->req.not_understood, sizeof(ctx->req.not_understood), "%s", local);
    return wmgw_xmlr_skip(ctx->reader) == 0 ? 0 : sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
}

/* Handles one header element; returns 0, or -1 once a fault is written. */
static int read_header(struct sim_ctx *ctx)
{
    xmlTextReaderPtr r = ctx->reader;
    struct sim_request *req = &ctx->req;
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
    const char *local = (const char *)xmlTextReaderConstLocalName(r);
    bool mu = must_understand(r);
    char **text_slot = NULL;
    int rc = 0;

    if (ns != NULL && strcmp(ns, WMGW_NS_WSA) == 0) {
        if (strcmp(local, "To") == 0)
            text_slot = &req->to;
        else if (strcmp(local, "Action") == 0)
            text_slot = &req->action;
        else if (strcmp(local, "MessageID") == 0)
            text_slot = &req->message_id;
        else if (strcmp(local, "ReplyTo") == 0) {
            req->has_reply_to = true;
            rc = read_reply_to(ctx, &req->reply_to_anonymous);
        } else if (strcmp(local, "FaultTo") == 0) {
            bool anon;
            rc = read_reply_to(ctx, &anon);
            if (rc == 0 && !anon)
                return sim_fault(ctx, SIM_FAULT_UNSUPPORTED_FEATURE, "AddressingMode", NULL);
        } else if (mu) {
            return not_understood(ctx, local);
        } else {
            rc = wmgw_xmlr_skip(r);
        }
    } else if (wmgw_wsman_dialect_is_wsman_ns(ctx->host->dialect, ns)) {
        if (strcmp(local, "ResourceURI") == 0) {
            text_slot = &req->resource_uri;
        } else if (strcmp(local, "SelectorSet") == 0) {
            req->has_selectors = true;
            struct wmgw_err err;
            wmgw_err_clear(&err);
            rc = wmgw_wsman_read_selectors(r, ctx->host->dialect, &req->selectors, &err);
            if (rc == WMGW_EEXIST)
                return sim_fault(ctx, SIM_FAULT_DUPLICATE_SELECTORS, NULL, NULL);
        } else if (!ctx->host->dialect->processes_options &&
                   (strcmp(local, "OptionSet") == 0 || strcmp(local, "FragmentTransfer") == 0 ||
                    strcmp(local, "RequestEPR") == 0)) {
            /* Not processed: ignored, unless it must be understood (MS-WSMAN
             * §3.1.4.1.11, .12, .18: s:NotUnderstood). */
            if (mu)
                return not_understood(ctx, local);
            rc = wmgw_xmlr_skip(r);
        } else if (strcmp(local, "OptionSet") == 0) {
            rc = read_options(ctx);
        } else if (strcmp(local, "MaxEnvelopeSize") == 0 || strcmp(local, "OperationTimeout") == 0) {
            char *t = element_text(r);
            if (t == NULL)
                return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL, NULL);
            if (local[0] == 'M') {
                char *end;
                long v = strtol(t, &end, 10);
                req->max_envelope = *end == '\0' && v > 0 ? v : 0;
            } else {
                req->timeout_ms = sim_parse_duration_ms(t);
                if (req->timeout_ms < 0) {
                    char msg[160];
                    snprintf(msg, sizeof(msg),
                             "The WS-Management service cannot process the request. The XML contains an invalid "
                             "timeout field in the SOAP header: %.40s. ", t);
                    free(t);
                    return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL, msg);
                }
            }
            free(t);
        } else if (strcmp(local, "Locale") == 0) {
            if (mu)
                return sim_fault(ctx, SIM_FAULT_UNSUPPORTED_FEATURE, "Locale", NULL);
            rc = wmgw_xmlr_skip(r);
        } else if (strcmp(local, "FragmentTransfer") == 0) {
            if (!mu)
                return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL, NULL);
            text_slot = &req->fragment;
        } else if (strcmp(local, "RequestEPR") == 0 || strcmp(local, "RequestTotalItemsCountEstimate") == 0 ||
                   strcmp(local, "PolymorphismMode") == 0) {
            rc = wmgw_xmlr_skip(r); /* WinRM ignores these (§3.1.4.1.11, .12, .27) */
        } else if (mu) {
            return not_understood(ctx, local);
        } else {
            rc = wmgw_xmlr_skip(r);
        }
    } else if (ns != NULL && ctx->host->dialect->ns_wsmv != NULL && strcmp(ns, ctx->host->dialect->ns_wsmv) == 0) {
        if (strcmp(local, "DataLocale") == 0 && mu)
            return sim_fault(ctx, SIM_FAULT_UNSUPPORTED_FEATURE, "Locale", NULL);
        rc = wmgw_xmlr_skip(r); /* SessionId, OperationID, SequenceId, ActivityId */
    } else if (mu) {
        return not_understood(ctx, local);
    } else {
        rc = wmgw_xmlr_skip(r);
    }
    if (text_slot != NULL) {
        free(*text_slot);
        if ((*text_slot = element_text(r)) == NULL)
            return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL, NULL);
    }
    return rc == 0 ? 0 : sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
}

/* The rules that hold for every request but Identify. */
static int check_headers(struct sim_ctx *ctx)
{
    struct sim_request *req = &ctx->req;
    if (req->action == NULL || req->resource_uri == NULL || !req->has_reply_to)
        return sim_fault(ctx, SIM_FAULT_HEADER_REQUIRED, NULL, NULL);
    if (!req->reply_to_anonymous)
        return sim_fault(ctx, SIM_FAULT_UNSUPPORTED_FEATURE, "AddressingMode", NULL);
    if (req->message_id == NULL || req->message_id[0] == '\0' || strlen(req->message_id) > 2048)
        return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL, NULL);
    if (ctx->host->dialect->uuid_message_ids && !uuid_form(req->message_id))
        return sim_fault(ctx, SIM_FAULT_INVALID_HEADER, NULL,
                         "The WS-Management service cannot process the request. The MessageID must have the form "
                         "uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. ");
    if (req->max_envelope == 0 || (req->max_envelope > 0 && req->max_envelope < 8192))
        return sim_fault(ctx, SIM_FAULT_ENCODING_LIMIT, "MaxEnvelopeSize", NULL);
    return 0;
}

int sim_request_read_headers(struct sim_ctx *ctx)
{
    xmlTextReaderPtr r = ctx->reader;
    ctx->req.max_envelope = -1;
    ctx->req.timeout_ms = -1;
    ctx->req.dialect_ns = ctx->host->dialect->ns_wsman;
    /* Find the envelope; a DOCTYPE is refused (no entity games). */
    int rc;
    while ((rc = xmlTextReaderRead(r)) == 1 && xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
        if (xmlTextReaderNodeType(r) == XML_READER_TYPE_DOCUMENT_TYPE)
            return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    if (rc != 1 || !wmgw_xmlr_is(r, WMGW_NS_SOAP, "Envelope"))
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    int env_depth = xmlTextReaderDepth(r);
    bool seen_body = false;
    while (!seen_body && (rc = wmgw_xmlr_next_child(r, env_depth)) == 1) {
        if (wmgw_xmlr_is(r, WMGW_NS_SOAP, "Header") && !xmlTextReaderIsEmptyElement(r)) {
            int hdepth = xmlTextReaderDepth(r);
            while ((rc = wmgw_xmlr_next_child(r, hdepth)) == 1)
                if (read_header(ctx) != 0)
                    return -1;
            if (rc < 0)
                return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
            if (ctx->req.not_understood[0] != '\0')
                return sim_fault(ctx, SIM_FAULT_MUST_UNDERSTAND, NULL, ctx->req.not_understood);
        } else if (wmgw_xmlr_is(r, WMGW_NS_SOAP, "Body")) {
            seen_body = true;
            ctx->body_depth = xmlTextReaderDepth(r);
        } else if (!wmgw_xmlr_is(r, WMGW_NS_SOAP, "Header")) {
            return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
        }
    }
    if (!seen_body)
        return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
    /* Identify is recognised by its body, and needs no addressing headers. */
    if (xmlTextReaderIsEmptyElement(r)) {
        ctx->req.body_empty = true;
    } else {
        int found = sim_request_body_first(ctx);
        if (found < 0)
            return sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
        ctx->req.body_empty = found == 0;
        if (found == 1 && ctx->host->dialect->has_identify &&
            (wmgw_xmlr_is(r, WMGW_NS_WSMID, "Identify") || wmgw_xmlr_is(r, WMGW_NS_WSMID_MISPRINT, "Identify"))) {
            ctx->req.identify = true;
            return 0;
        }
    }
    return check_headers(ctx);
}

int sim_request_body_first(struct sim_ctx *ctx)
{
    xmlTextReaderPtr r = ctx->reader;
    /* Already on the first body element? */
    if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && xmlTextReaderDepth(r) == ctx->body_depth + 1)
        return 1;
    if (xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r) == ctx->body_depth)
        return 0;
    int rc = wmgw_xmlr_next_child(r, ctx->body_depth);
    return rc;
}
