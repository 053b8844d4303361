/*
 * transfer.c: Identify and the WS-Transfer operations on CIM instances
 * (MS-WSMV §3.1.4.1.x; protocol-notes §1.9, §1.11), plus class retrieval
 * in the shape Windows MI clients use (Get of the cim-xml class URI with
 * __cimnamespace and ClassName selectors, answered with a DSP0201 CLASS),
 * and for 2003 R2 hosts the "this" resource that stands in for Identify
 * (MS-WSMAN §3.1.4.1.22) and instances cast to the class asked for.
 */
#include "tests/sim/envelope.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"
#include "translators/wsman/cimxml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The largest response this request may receive (UTF-16 octets). */
static size_t envelope_limit(const struct sim_ctx *ctx)
{
    size_t host_max = (size_t)ctx->host->max_envelope_kb * 1024;
    if (ctx->req.max_envelope > 0 && (size_t)ctx->req.max_envelope < host_max)
        return (size_t)ctx->req.max_envelope;
    return host_max;
}

/* Faults when the finished response is larger than the client allowed. */
static int finish(struct sim_ctx *ctx, int rc)
{
    if (rc != 0)
        return sim_fault(ctx, rc == WMGW_ETOOBIG ? SIM_FAULT_ENCODING_LIMIT : SIM_FAULT_INTERNAL_ERROR,
                         rc == WMGW_ETOOBIG ? "MaxEnvelopeSize" : NULL, NULL);
    if (sim_utf16_size(ctx->out.data, ctx->out.len) > envelope_limit(ctx))
        return sim_fault(ctx, SIM_FAULT_ENCODING_LIMIT, "MaxEnvelopeSize", NULL);
    return 0;
}

int sim_op_identify(struct sim_ctx *ctx, bool authenticated)
{
    ctx->host->counters.by_action[sim_action_index("Identify")]++;
    /* The OS version comes from the host's own Win32_OperatingSystem. */
    const char *version = "0.0.0";
    struct wmgw_cim_instance *os = NULL;
    struct sim_class *c = sim_store_class(ctx->host->store, "root/cimv2", "Win32_OperatingSystem");
    if (authenticated && c != NULL && c->n > 0) {
        os = wmgw_cim_instance_ref(c->items[0]);
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(os, "Version");
        if (v != NULL && !v->null && WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_STRING)
            version = v->u.str;
    }
    struct wmgw_buf *out = &ctx->out;
    int rc = wmgw_buf_printf(out,
                             "<s:Envelope xmlns:s=\"%s\"><s:Header/><s:Body><wsmid:IdentifyResponse xmlns:wsmid=\"%s\">"
                             "<wsmid:ProtocolVersion>%s</wsmid:ProtocolVersion>"
                             "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
                             "<wsmid:ProductVersion>OS: ",
                             WMGW_NS_SOAP, WMGW_NS_WSMID, ctx->host->dialect->ns_wsman);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, version);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, " SP: 0.0 Stack: 3.0</wsmid:ProductVersion>"); /* anonymous callers too */
    if (rc == 0 && authenticated)
        rc = wmgw_buf_addstr(out, "<wsmid:SecurityProfiles><wsmid:SecurityProfileName>"
                                  "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic"
                                  "</wsmid:SecurityProfileName></wsmid:SecurityProfiles>");
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</wsmid:IdentifyResponse></s:Body></s:Envelope>");
    wmgw_cim_instance_unref(os);
    return finish(ctx, rc);
}

/* The OS part of the version strings, from the host's own
 * Win32_OperatingSystem (NULL when the store has none). */
static struct wmgw_cim_instance *host_os(struct sim_ctx *ctx)
{
    struct sim_class *c = sim_store_class(ctx->host->store, "root/cimv2", "Win32_OperatingSystem");
    return c != NULL && c->n > 0 ? wmgw_cim_instance_ref(c->items[0]) : NULL;
}

static unsigned os_uint(const struct wmgw_cim_instance *os, const char *name)
{
    const struct wmgw_cim_value *v = os ? wmgw_cim_instance_get(os, name) : NULL;
    return v != NULL && !v->null && !WMGW_CIM_IS_ARRAY(v->type) && WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_UINT16
               ? (unsigned)v->u.u
               : 0;
}

int sim_op_this(struct sim_ctx *ctx)
{
    /* The resource has no selectors (MS-WSMAN §3.2.4.1.8). */
    if (ctx->req.selectors.n > 0)
        return sim_fault(ctx, SIM_FAULT_UNEXPECTED_SELECTORS, NULL, NULL);
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    struct wmgw_cim_instance *os = host_os(ctx);
    const struct wmgw_cim_value *v = os ? wmgw_cim_instance_get(os, "Version") : NULL;
    const char *version = v && !v->null && WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_STRING ? v->u.str : "0.0.0";
    /* <6>, <7>: "Microsoft Corporation", "OS: 5.2.3790 SP: 1.0 Stack: 1.0". */
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_GET "Response");
    if (rc == 0)
        rc = wmgw_buf_printf(&ctx->out,
                             "<t:This xmlns:t=\"%s\"><t:Vendor>Microsoft Corporation</t:Vendor><t:Version>OS: ",
                             d->ns_this);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(&ctx->out, version);
    if (rc == 0)
        rc = wmgw_buf_printf(&ctx->out, " SP: %u.%u Stack: 1.0</t:Version></t:This>",
                             os_uint(os, "ServicePackMajorVersion"), os_uint(os, "ServicePackMinorVersion"));
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    wmgw_cim_instance_unref(os);
    return finish(ctx, rc);
}

struct wmgw_cim_instance *sim_cast_to(const struct sim_host *h, struct wmgw_cim_instance *inst,
                                      const struct wmgw_cim_class *asked)
{
    if (!h->dialect->casts_to_base || asked == NULL || strcasecmp(inst->class_name, asked->name) == 0)
        return wmgw_cim_instance_ref(inst);
    struct wmgw_cim_instance *base = wmgw_cim_instance_new(asked->name, inst->namespace_);
    for (size_t i = 0; base != NULL && i < asked->nprops; i++) {
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, asked->props[i].name);
        struct wmgw_cim_value copy;
        if (v == NULL)
            continue;
        if (wmgw_cim_value_copy(&copy, v) != 0 || wmgw_cim_proplist_put(&base->props, asked->props[i].name, &copy) != 0) {
            wmgw_cim_instance_unref(base);
            base = NULL;
        }
    }
    return base;
}

struct wmgw_cim_ref *sim_selectors_to_ref(struct sim_ctx *ctx)
{
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(ctx->ns, cls->name);
    if (ref == NULL) {
        sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        return NULL;
    }
    const struct wmgw_cim_proplist *sel = &ctx->req.selectors;
    for (size_t i = 0; i < sel->n; i++) {
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, sel->items[i].name);
        if (d == NULL || !(d->flags & WMGW_CIM_Q_KEY)) {
            wmgw_cim_ref_free(ref);
            sim_fault(ctx, SIM_FAULT_UNEXPECTED_SELECTORS, NULL, NULL);
            return NULL;
        }
        const struct wmgw_cim_value *sv = &sel->items[i].value;
        struct wmgw_cim_value v;
        int rc;
        if (WMGW_CIM_BASETYPE(sv->type) == WMGW_CIM_REFERENCE) {
            rc = WMGW_CIM_BASETYPE(d->type) == WMGW_CIM_REFERENCE ? wmgw_cim_value_copy(&v, sv) : WMGW_EINVAL;
        } else if (WMGW_CIM_BASETYPE(d->type) == WMGW_CIM_REFERENCE) {
            rc = WMGW_EINVAL; /* a reference key needs an EPR */
        } else {
            rc = wmgw_cim_value_from_text(&v, d->type, sv->u.str, strlen(sv->u.str));
        }
        if (rc != 0 || wmgw_cim_proplist_put(&ref->keys, d->name, &v) != 0) {
            wmgw_cim_ref_free(ref);
            sim_fault(ctx, SIM_FAULT_INVALID_SELECTOR_VALUE, NULL, NULL);
            return NULL;
        }
    }
    /* Without selectors a singleton (or a class with one instance) is meant. */
    if (sel->n == 0)
        return ref;
    for (size_t i = 0; i < cls->nprops; i++) {
        if ((cls->props[i].flags & WMGW_CIM_Q_KEY) && wmgw_cim_proplist_find(&ref->keys, cls->props[i].name) == NULL) {
            wmgw_cim_ref_free(ref);
            sim_fault(ctx, SIM_FAULT_INSUFFICIENT_SELECTORS, NULL, NULL);
            return NULL;
        }
    }
    return ref;
}

struct wmgw_cim_instance *sim_find_instance(struct sim_ctx *ctx, const struct wmgw_cim_ref *ref)
{
    struct sim_store *s = ctx->host->store;
    if (ref->keys.n == 0) {
        struct sim_cursor cur;
        struct wmgw_cim_instance *only = NULL;
        if (sim_cursor_open(&cur, s, ctx->ns, ref->class_name) == 0) {
            only = sim_cursor_next(&cur);
            struct wmgw_cim_instance *second = sim_cursor_next(&cur);
            bool singleton = (ctx->cls->cls->flags & WMGW_CIM_Q_SINGLETON) || wmgw_cim_class_key_count(ctx->cls->cls) == 0;
            if (second != NULL || (only != NULL && !singleton && cur.n + cur.gen_count != 1)) {
                wmgw_cim_instance_unref(only);
                only = NULL;
            }
            wmgw_cim_instance_unref(second);
            sim_cursor_close(&cur);
        }
        if (only == NULL && wmgw_cim_class_key_count(ctx->cls->cls) > 0) {
            sim_fault(ctx, SIM_FAULT_INSUFFICIENT_SELECTORS, NULL, NULL);
            return NULL;
        }
        if (only == NULL)
            sim_fault(ctx, SIM_FAULT_NO_INSTANCE, NULL, NULL);
        return only;
    }
    struct wmgw_cim_instance *inst = sim_store_find(s, ctx->ns, ref);
    if (inst == NULL)
        sim_fault(ctx, SIM_FAULT_NO_INSTANCE, NULL, NULL);
    return inst;
}

/* FragmentTransfer names one property (an XPath-like "Name" or "Name/text()"). */
static int fragment_property(struct sim_ctx *ctx, char *name, size_t size)
{
    const char *f = ctx->req.fragment;
    if (f[0] == '/' )
        return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FRAGMENT, NULL, NULL);
    size_t len = strcspn(f, "/");
    if (len == 0 || len >= size || (f[len] != '\0' && strcmp(f + len, "/text()") != 0))
        return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FRAGMENT, NULL, NULL);
    memcpy(name, f, len);
    name[len] = '\0';
    if (wmgw_cim_class_prop(ctx->cls->cls, name) == NULL)
        return sim_fault(ctx, SIM_FAULT_CANNOT_PROCESS_FRAGMENT, NULL, NULL);
    return 0;
}

int sim_op_get(struct sim_ctx *ctx)
{
    char prop[256];
    if (ctx->req.fragment != NULL && fragment_property(ctx, prop, sizeof(prop)) != 0)
        return -1;
    struct wmgw_cim_ref *ref = sim_selectors_to_ref(ctx);
    if (ref == NULL)
        return -1;
    struct wmgw_cim_instance *found = sim_find_instance(ctx, ref);
    wmgw_cim_ref_free(ref);
    if (found == NULL)
        return -1;
    struct wmgw_cim_instance *inst = sim_cast_to(ctx->host, found, ctx->cls->cls);
    wmgw_cim_instance_unref(found);
    if (inst == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    const struct wmgw_cim_class *cls = sim_store_class_of(ctx->host->store, inst);
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_GET "Response");
    if (rc == 0 && ctx->req.fragment != NULL) {
        char *names[1] = {prop};
        rc = wmgw_wsman_write_fragment(&ctx->out, ctx->host->dialect, inst, cls, names, 1);
    } else if (rc == 0) {
        rc = wmgw_wsman_write_instance(&ctx->out, ctx->host->dialect, inst, cls, 0);
    }
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    wmgw_cim_instance_unref(inst);
    return finish(ctx, rc);
}

static struct wmgw_cim_instance *read_body_instance(struct sim_ctx *ctx)
{
    if (sim_request_body_first(ctx) != 1) {
        sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
        return NULL;
    }
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    struct wmgw_cim_instance *inst = NULL;
    int rc;
    if (wmgw_xmlr_is(ctx->reader, d->ns_wsman, "XmlFragment")) {
        inst = wmgw_cim_instance_new(cls->name, ctx->ns);
        rc = inst ? wmgw_wsman_read_proplist(ctx->reader, d, cls->props, cls->nprops, sim_lookup_class,
                                             ctx->host->store, ctx->ns, &inst->props, &ctx->err)
                  : WMGW_ENOMEM;
    } else {
        const char *local = (const char *)xmlTextReaderConstLocalName(ctx->reader);
        if (strcasecmp(local, cls->name) != 0) {
            sim_fault(ctx, SIM_FAULT_SCHEMA_VALIDATION, NULL, NULL);
            return NULL;
        }
        rc = wmgw_wsman_read_instance(ctx->reader, d, ctx->ns, sim_lookup_class, ctx->host->store, &inst, &ctx->err);
    }
    if (rc != 0) {
        wmgw_cim_instance_unref(inst);
        sim_fault(ctx, rc == WMGW_EINVAL ? SIM_FAULT_INVALID_PROPERTY : SIM_FAULT_SCHEMA_VALIDATION, NULL,
                  ctx->err.message[0] ? ctx->err.message : NULL);
        return NULL;
    }
    return inst;
}

/* Applies the properties of `in` to a copy of `old`; faults when a key or a
 * read-only property would change. */
static struct wmgw_cim_instance *merge(struct sim_ctx *ctx, const struct wmgw_cim_instance *old,
                                       const struct wmgw_cim_instance *in)
{
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    struct wmgw_cim_instance *out = wmgw_cim_instance_copy(old);
    if (out == NULL) {
        sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        return NULL;
    }
    for (size_t i = 0; i < in->props.n; i++) {
        const struct wmgw_cim_prop *p = &in->props.items[i];
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, p->name);
        const struct wmgw_cim_value *cur = wmgw_cim_instance_get(old, p->name);
        bool same = cur != NULL && wmgw_cim_value_equal(cur, &p->value);
        if (d == NULL || (!same && (d->flags & WMGW_CIM_Q_KEY))) {
            wmgw_cim_instance_unref(out);
            sim_fault(ctx, d ? SIM_FAULT_INVALID_SELECTOR_VALUE : SIM_FAULT_INVALID_PROPERTY, NULL, NULL);
            return NULL;
        }
        if (!same && !(d->flags & WMGW_CIM_Q_WRITE)) {
            char msg[200];
            snprintf(msg, sizeof(msg), "The property %.80s is read-only. ", d->name);
            wmgw_cim_instance_unref(out);
            sim_fault(ctx, SIM_FAULT_INVALID_PROPERTY, NULL, msg);
            return NULL;
        }
        struct wmgw_cim_value v;
        if (wmgw_cim_value_copy(&v, &p->value) != 0 || wmgw_cim_proplist_put(&out->props, d->name, &v) != 0) {
            wmgw_cim_instance_unref(out);
            sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
            return NULL;
        }
    }
    return out;
}

int sim_op_put(struct sim_ctx *ctx)
{
    if (!(ctx->cls->cls->flags & WMGW_CIM_Q_SUPPORTS_UPDATE))
        return sim_fault(ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL);
    char prop[256];
    if (ctx->req.fragment != NULL && fragment_property(ctx, prop, sizeof(prop)) != 0)
        return -1;
    struct wmgw_cim_ref *ref = sim_selectors_to_ref(ctx);
    if (ref == NULL)
        return -1;
    struct wmgw_cim_instance *old = sim_find_instance(ctx, ref);
    wmgw_cim_ref_free(ref);
    if (old == NULL)
        return -1;
    struct wmgw_cim_instance *in = read_body_instance(ctx);
    struct wmgw_cim_instance *updated = in ? merge(ctx, old, in) : NULL;
    wmgw_cim_instance_unref(in);
    wmgw_cim_instance_unref(old);
    if (updated == NULL)
        return -1;
    if (sim_store_replace(ctx->host->store, wmgw_cim_instance_ref(updated), &ctx->err) != 0) {
        wmgw_cim_instance_unref(updated);
        return sim_fault(ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL); /* generated instances are read-only */
    }
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    struct wmgw_cim_instance *answer = sim_cast_to(ctx->host, updated, cls);
    wmgw_cim_instance_unref(updated);
    if (answer == NULL)
        return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_PUT "Response");
    if (rc == 0 && ctx->req.fragment != NULL) {
        char *names[1] = {prop};
        rc = wmgw_wsman_write_fragment(&ctx->out, ctx->host->dialect, answer, cls, names, 1);
    } else if (rc == 0) {
        rc = wmgw_wsman_write_instance(&ctx->out, ctx->host->dialect, answer, cls, 0);
    }
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    wmgw_cim_instance_unref(answer);
    return finish(ctx, rc);
}

int sim_op_create(struct sim_ctx *ctx)
{
    const struct wmgw_cim_class *cls = ctx->cls->cls;
    if (!(cls->flags & WMGW_CIM_Q_SUPPORTS_CREATE) || (cls->flags & WMGW_CIM_Q_ABSTRACT))
        return sim_fault(ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL);
    struct wmgw_cim_instance *in = read_body_instance(ctx);
    if (in == NULL)
        return -1;
    /* A new instance has every property of its class; keys must be given. */
    for (size_t i = 0; i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &cls->props[i];
        const struct wmgw_cim_value *v = wmgw_cim_instance_get(in, d->name);
        if ((d->flags & WMGW_CIM_Q_KEY) && (v == NULL || v->null)) {
            char msg[200];
            snprintf(msg, sizeof(msg), "The key property %.80s is missing. ", d->name);
            wmgw_cim_instance_unref(in);
            return sim_fault(ctx, SIM_FAULT_INVALID_PARAMETER, NULL, msg);
        }
        if (v == NULL) {
            struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&in->props, d->name, d->type);
            if (p == NULL || wmgw_cim_value_copy(&p->value, &d->default_value) != 0) {
                wmgw_cim_instance_unref(in);
                return sim_fault(ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
            }
        }
    }
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(in, cls);
    int rc = sim_store_insert(ctx->host->store, in, &ctx->err);
    if (rc != 0) {
        wmgw_cim_ref_free(path);
        return sim_fault(ctx, rc == WMGW_EEXIST ? SIM_FAULT_ALREADY_EXISTS : SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    rc = path ? sim_envelope_begin(ctx, WMGW_ACTION_CREATE "Response") : WMGW_ENOMEM;
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "<x:ResourceCreated>");
    if (rc == 0)
        rc = wmgw_wsman_write_epr(&ctx->out, ctx->host->dialect, path);
    if (rc == 0)
        rc = wmgw_buf_addstr(&ctx->out, "</x:ResourceCreated>");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    wmgw_cim_ref_free(path);
    return finish(ctx, rc);
}

int sim_op_delete(struct sim_ctx *ctx)
{
    if (!(ctx->cls->cls->flags & WMGW_CIM_Q_SUPPORTS_DELETE))
        return sim_fault(ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL);
    struct wmgw_cim_ref *ref = sim_selectors_to_ref(ctx);
    if (ref == NULL)
        return -1;
    struct wmgw_cim_instance *inst = sim_find_instance(ctx, ref);
    if (inst == NULL) {
        wmgw_cim_ref_free(ref);
        return -1;
    }
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(inst, sim_store_class_of(ctx->host->store, inst));
    wmgw_cim_instance_unref(inst);
    int rc = path ? sim_store_remove(ctx->host->store, ctx->ns, path, &ctx->err) : WMGW_ENOMEM;
    wmgw_cim_ref_free(path);
    wmgw_cim_ref_free(ref);
    if (rc != 0)
        return sim_fault(ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL); /* generated instances */
    rc = sim_envelope_begin(ctx, WMGW_ACTION_DELETE "Response");
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    return finish(ctx, rc);
}

/* --- class retrieval (DSP0201 CLASS element) --------------------------------- */

static int write_qualifier_true(struct wmgw_buf *out, const char *name)
{
    return wmgw_buf_printf(out, "<QUALIFIER NAME=\"%s\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></QUALIFIER>", name);
}

static int write_description(struct wmgw_buf *out, const char *text)
{
    int rc = wmgw_buf_addstr(out, "<QUALIFIER NAME=\"Description\" TYPE=\"string\"><VALUE>");
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, text);
    return rc == 0 ? wmgw_buf_addstr(out, "</VALUE></QUALIFIER>") : rc;
}

/* A property's default as DSP0201 writes it: <VALUE> or <VALUE.ARRAY>. */
static int write_default(struct wmgw_buf *out, const struct wmgw_cim_value *v)
{
    uint16_t base = WMGW_CIM_BASETYPE(v->type);
    if (v->null || base == WMGW_CIM_REFERENCE || base == WMGW_CIM_OBJECT)
        return 0;
    bool array = WMGW_CIM_IS_ARRAY(v->type);
    size_t n = array ? v->u.arr.n : 1;
    struct wmgw_buf text;
    wmgw_buf_init(&text, WMGW_WSMAN_MAX_TEXT);
    int rc = array ? wmgw_buf_addstr(out, "<VALUE.ARRAY>") : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        wmgw_buf_reset(&text);
        rc = wmgw_cim_value_to_text(array ? &v->u.arr.v[i] : v, &text);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "<VALUE>");
        if (rc == 0)
            rc = wmgw_buf_add_xml(out, text.data ? text.data : "", text.len);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</VALUE>");
    }
    if (rc == 0 && array)
        rc = wmgw_buf_addstr(out, "</VALUE.ARRAY>");
    wmgw_buf_dispose(&text);
    return rc;
}

static int write_decl(struct wmgw_buf *out, const struct wmgw_cim_propdecl *d, const char *elem)
{
    uint16_t base = WMGW_CIM_BASETYPE(d->type);
    bool ref = base == WMGW_CIM_REFERENCE, array = WMGW_CIM_IS_ARRAY(d->type);
    const char *suffix = ref ? (array ? ".REFARRAY" : ".REFERENCE") : array ? ".ARRAY" : "";
    int rc = wmgw_buf_printf(out, "<%s%s NAME=\"", elem, suffix);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, d->name);
    if (rc == 0 && ref)
        rc = wmgw_buf_printf(out, "\" REFERENCECLASS=\"%s", d->ref_class ? d->ref_class : "");
    else if (rc == 0)
        rc = wmgw_buf_printf(out, "\" TYPE=\"%s", base == WMGW_CIM_OBJECT ? "string" : wmgw_cim_type_name(base));
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\">");
    if (rc == 0 && base == WMGW_CIM_OBJECT)
        rc = wmgw_buf_printf(out, "<QUALIFIER NAME=\"EmbeddedInstance\" TYPE=\"string\"><VALUE>%s</VALUE></QUALIFIER>",
                             d->ref_class ? d->ref_class : "");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_KEY))
        rc = write_qualifier_true(out, "key");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_READ))
        rc = write_qualifier_true(out, "read");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_WRITE))
        rc = write_qualifier_true(out, "write");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_REQUIRED))
        rc = write_qualifier_true(out, "required");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_IN))
        rc = write_qualifier_true(out, "In");
    if (rc == 0 && (d->flags & WMGW_CIM_Q_OUT))
        rc = write_qualifier_true(out, "Out");
    for (size_t i = 0; rc == 0 && i < d->qualifiers.n; i++) {
        /* Other qualifiers (SubType, ...) travel as strings. */
        const struct wmgw_cim_prop *q = &d->qualifiers.items[i];
        if (q->value.null || WMGW_CIM_BASETYPE(q->value.type) != WMGW_CIM_STRING || WMGW_CIM_IS_ARRAY(q->value.type))
            continue;
        rc = wmgw_buf_addstr(out, "<QUALIFIER NAME=\"");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, q->name);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "\" TYPE=\"string\"><VALUE>");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, q->value.u.str);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</VALUE></QUALIFIER>");
    }
    if (rc == 0 && d->description != NULL)
        rc = write_description(out, d->description);
    if (rc == 0 && strcmp(elem, "PROPERTY") == 0)
        rc = write_default(out, &d->default_value);
    if (rc == 0)
        rc = wmgw_buf_printf(out, "</%s%s>", elem, suffix);
    return rc;
}

static int write_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls)
{
    int rc = wmgw_buf_addstr(out, "<CLASS NAME=\"");
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, cls->name);
    if (rc == 0 && cls->superclass != NULL) {
        rc = wmgw_buf_addstr(out, "\" SUPERCLASS=\"");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, cls->superclass);
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "\">");
    static const struct {
        unsigned flag;
        const char *name;
    } cq[] = {{WMGW_CIM_Q_ASSOCIATION, "Association"}, {WMGW_CIM_Q_ABSTRACT, "Abstract"},
              {WMGW_CIM_Q_SINGLETON, "Singleton"}, {WMGW_CIM_Q_SUPPORTS_CREATE, "SupportsCreate"},
              {WMGW_CIM_Q_SUPPORTS_UPDATE, "SupportsUpdate"}, {WMGW_CIM_Q_SUPPORTS_DELETE, "SupportsDelete"}};
    for (size_t i = 0; rc == 0 && i < sizeof(cq) / sizeof(cq[0]); i++)
        if (cls->flags & cq[i].flag)
            rc = write_qualifier_true(out, cq[i].name);
    if (rc == 0 && cls->description != NULL)
        rc = write_description(out, cls->description);
    for (size_t i = 0; rc == 0 && i < cls->nprops; i++)
        rc = write_decl(out, &cls->props[i], "PROPERTY");
    for (size_t i = 0; rc == 0 && i < cls->nmethods; i++) {
        const struct wmgw_cim_method *m = &cls->methods[i];
        rc = wmgw_buf_addstr(out, "<METHOD NAME=\"");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, m->name);
        if (rc == 0 && m->return_type != WMGW_CIM_NONE)
            rc = wmgw_buf_printf(out, "\" TYPE=\"%s", wmgw_cim_type_name(m->return_type));
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "\">");
        if (rc == 0 && (m->flags & WMGW_CIM_Q_STATIC))
            rc = write_qualifier_true(out, "Static");
        for (size_t k = 0; rc == 0 && k < m->nparams; k++)
            rc = write_decl(out, &m->params[k], "PARAMETER");
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</METHOD>");
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</CLASS>");
    return rc;
}

int sim_op_get_class(struct sim_ctx *ctx)
{
    const struct wmgw_cim_prop *ns = wmgw_cim_proplist_find(&ctx->req.selectors, "__cimnamespace");
    const struct wmgw_cim_prop *cn = wmgw_cim_proplist_find(&ctx->req.selectors, "ClassName");
    if (ns == NULL || cn == NULL || ns->value.null || cn->value.null ||
        WMGW_CIM_BASETYPE(ns->value.type) != WMGW_CIM_STRING || WMGW_CIM_BASETYPE(cn->value.type) != WMGW_CIM_STRING)
        return sim_fault(ctx, SIM_FAULT_INSUFFICIENT_SELECTORS, NULL, NULL);
    char *nsn = wmgw_cim_namespace_normalize(ns->value.u.str);
    if (nsn == NULL || sim_store_namespace(ctx->host->store, nsn) == NULL) {
        free(nsn);
        return sim_fault(ctx, SIM_FAULT_NO_NAMESPACE, NULL, NULL);
    }
    struct sim_class *c = sim_store_class(ctx->host->store, nsn, cn->value.u.str);
    free(nsn);
    if (c == NULL)
        return sim_fault(ctx, SIM_FAULT_NO_CLASS, NULL, NULL);
    int rc = sim_envelope_begin(ctx, WMGW_ACTION_GET "Response");
    if (rc == 0)
        rc = write_class(&ctx->out, c->cls);
    if (rc == 0)
        rc = sim_envelope_end(ctx);
    return finish(ctx, rc);
}
