/*
 * wmio_write.c: encoding values, qualifier sets and instances in MS-WMIO
 * (wmio.h): what PutInstance and ExecMethod send, and what the simulator
 * answers with.
 *
 * An instance is written by the layout of its class part, whichever made
 * it: the server's bytes from the cache (sent back unchanged, as Windows
 * wants its own class image) or a part built here from the model
 * (wmio_write_class.c) and parsed back, so both paths write values the same
 * way.  The layout puts values in declaration order; the instance heap
 * starts with the class name (impacket reads offset 0 as "no value"); every
 * string and object array has its items right after its reference table
 * (impacket reads them in sequence); strings that fit Latin-1 use flag 0,
 * as 2.2.78 requires.  NULL is NdTable bit 0 over a zero slot, as Windows
 * writes it (with bit 1 too when the class default is NULL as well); a
 * property the instance leaves out is bit 1, the class default.
 */
#include "translators/wmi/wmio_int.h"
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int wmgw__wmio_wfail(struct wmgw__wmio_wctx *w, int code, const char *fmt, ...)
{
    char msg[sizeof(w->err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wmgw_err_set(w->err, code, "WMIO encode: %s", msg);
}

int wmgw__wmio_add16(struct wmgw_buf *b, uint16_t v)
{
    uint8_t t[2];
    wmgw__wmio_put16(t, v);
    return wmgw_buf_add(b, t, 2);
}

int wmgw__wmio_add32(struct wmgw_buf *b, uint32_t v)
{
    uint8_t t[4];
    wmgw__wmio_put32(t, v);
    return wmgw_buf_add(b, t, 4);
}

/* Overwrites 4 bytes at off (already written). */
static void patch32(struct wmgw_buf *b, size_t off, uint32_t v)
{
    wmgw__wmio_put32((uint8_t *)b->data + off, v);
}

int wmgw__wmio_add_estring(struct wmgw_buf *b, const char *s)
{
    size_t len = strlen(s);
    bool wide = false;
    for (size_t i = 0; i < len && !wide;) {
        uint32_t cp;
        i += wmgw_utf8_next(s + i, len - i, &cp);
        wide = cp > 0xFF; /* WMGW_UTF8_BAD too: it becomes U+FFFD */
    }
    size_t start = b->len;
    uint8_t chunk[256];
    size_t n = 0;
    chunk[n++] = wide ? 1 : 0;
    int rc = 0;
    for (size_t i = 0; i <= len && rc == 0;) {
        uint32_t cp = 0;
        if (i < len) {
            i += wmgw_utf8_next(s + i, len - i, &cp);
            if (cp == WMGW_UTF8_BAD)
                cp = 0xFFFD;
        } else {
            i++; /* the terminator */
        }
        if (!wide) {
            chunk[n++] = (uint8_t)cp;
        } else if (cp >= 0x10000) {
            cp -= 0x10000;
            wmgw__wmio_put16(chunk + n, (uint16_t)(0xD800 + (cp >> 10)));
            wmgw__wmio_put16(chunk + n + 2, (uint16_t)(0xDC00 + (cp & 0x3FF)));
            n += 4;
        } else {
            wmgw__wmio_put16(chunk + n, (uint16_t)cp);
            n += 2;
        }
        if (n > sizeof(chunk) - 4 || i > len) {
            rc = wmgw_buf_add(b, chunk, n);
            n = 0;
        }
    }
    if (rc != 0)
        b->len = start;
    return rc;
}

int wmgw__wmio_put_hstring(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, const char *utf8, uint32_t *ref)
{
    if (heap->len > 0x7FFFFFFFu)
        return wmgw__wmio_wfail(w, WMGW_ETOOBIG, "heap beyond 2^31 bytes");
    *ref = (uint32_t)heap->len;
    return wmgw__wmio_add_estring(heap, utf8);
}

static bool in_range(const struct wmgw_cim_value *v, uint16_t base)
{
    int64_t min;
    uint64_t max;
    wmgw_cim_type_range(base, &min, &max);
    if (wmgw_cim_type_is_signed(base))
        return v->u.s >= min && v->u.s <= (int64_t)max;
    return v->u.u <= max;
}

/* A heap item that is a string form of the scalar v (string, datetime, reference). */
static int put_text(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, uint16_t base, const struct wmgw_cim_value *v,
                    uint32_t *ref)
{
    if (base == WMGW_CIM_REFERENCE) {
        if (v->u.ref == NULL)
            return wmgw__wmio_wfail(w, WMGW_EINVAL, "a reference without a path");
        struct wmgw_buf path;
        wmgw_buf_init(&path, WMGW_CIM_PATH_MAX_LEN);
        int rc = wmgw_cim_path_format_wmi(&path, v->u.ref, true);
        if (rc == 0)
            rc = wmgw__wmio_put_hstring(w, heap, path.data ? path.data : "", ref);
        else
            rc = wmgw__wmio_wfail(w, rc, "reference to %s cannot be written as a WMI path",
                                  v->u.ref->class_name ? v->u.ref->class_name : "?");
        wmgw_buf_dispose(&path);
        return rc;
    }
    if (v->u.str == NULL)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "a %s without its text", wmgw_cim_type_name(base));
    if (base == WMGW_CIM_DATETIME && !wmgw_cim_dmtf_valid(v->u.str, strlen(v->u.str)))
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "\"%.40s\" is not a DMTF datetime", v->u.str);
    return wmgw__wmio_put_hstring(w, heap, v->u.str, ref);
}

/* ObjectEncodingLength + ObjectBlock of an embedded instance, one level deeper. */
static int put_object(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, const struct wmgw_cim_instance *inst,
                      uint32_t *ref)
{
    if (inst == NULL || inst->class_name == NULL)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "an embedded object without a class");
    if (w->depth >= WMGW_WMIO_MAX_DEPTH)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "objects nested more than %d deep", WMGW_WMIO_MAX_DEPTH);
    struct wmgw_buf own;
    const uint8_t *part;
    size_t part_len, start = heap->len;
    wmgw_buf_init(&own, WMGW_WMIO_MAX_OUTPUT);
    w->depth++;
    int rc = wmgw__wmio_embedded_part(w, inst, &own, &part, &part_len);
    if (rc == 0)
        rc = wmgw__wmio_add32(heap, 0);
    if (rc == 0)
        rc = wmgw__wmio_put_instance_block(w, part, part_len, inst, false, heap);
    w->depth--;
    wmgw_buf_dispose(&own);
    if (rc != 0) {
        heap->len = start;
        return rc;
    }
    patch32(heap, start, (uint32_t)(heap->len - start - 4));
    *ref = (uint32_t)start;
    return 0;
}

/* One scalar of base type `base` into slot (inline or as a heap reference). */
static int put_scalar(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, uint16_t base, const struct wmgw_cim_value *v,
                      uint8_t *slot)
{
    if (v->null || WMGW_CIM_BASETYPE(v->type) != base)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "a %s value where %s is declared",
                                v->null ? "NULL" : wmgw_cim_type_name(v->type), wmgw_cim_type_name(base));
    if (wmgw_cim_type_is_integer(base) && !in_range(v, base))
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "value out of the %s range", wmgw_cim_type_name(base));
    uint32_t ref = 0;
    int rc = 0;
    switch (base) {
    case WMGW_CIM_SINT8: case WMGW_CIM_UINT8: slot[0] = (uint8_t)v->u.u; break;
    case WMGW_CIM_SINT16: case WMGW_CIM_UINT16: wmgw__wmio_put16(slot, (uint16_t)v->u.u); break;
    case WMGW_CIM_SINT32: case WMGW_CIM_UINT32: wmgw__wmio_put32(slot, (uint32_t)v->u.u); break;
    case WMGW_CIM_SINT64: case WMGW_CIM_UINT64: wmgw__wmio_put64(slot, v->u.u); break;
    case WMGW_CIM_BOOLEAN: wmgw__wmio_put16(slot, v->u.b ? 0xFFFF : 0); break;
    case WMGW_CIM_CHAR16: wmgw__wmio_put16(slot, v->u.c16); break;
    case WMGW_CIM_REAL32: {
        float f = (float)v->u.r;
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        wmgw__wmio_put32(slot, bits);
        break;
    }
    case WMGW_CIM_REAL64: {
        uint64_t bits;
        memcpy(&bits, &v->u.r, sizeof(bits));
        wmgw__wmio_put64(slot, bits);
        break;
    }
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME: case WMGW_CIM_REFERENCE:
        if ((rc = put_text(w, heap, base, v, &ref)) == 0)
            wmgw__wmio_put32(slot, ref);
        break;
    case WMGW_CIM_OBJECT:
        if ((rc = put_object(w, heap, v->u.obj, &ref)) == 0)
            wmgw__wmio_put32(slot, ref);
        break;
    default:
        rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "unknown CIM type %u", base);
    }
    return rc;
}

int wmgw__wmio_put_value(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, uint16_t type,
                         const struct wmgw_cim_value *v, uint8_t *slot)
{
    if (!v->null && v->type != type) {
        /* An embedded object read from JSON has no schema: its integers are
         * sint32 or sint64, its text strings.  Written under a class, each
         * value must fit the declared type. */
        struct wmgw_cim_value conv;
        if (wmgw_cim_value_convert(&conv, type, v) == 0) {
            int rc = wmgw__wmio_put_value(w, heap, type, &conv, slot);
            wmgw_cim_value_dispose(&conv);
            return rc;
        }
    }
    if (v->null || v->type != type)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "a %s%s value where %s%s is declared",
                                v->null ? "NULL " : "", wmgw_cim_type_name(v->type),
                                wmgw_cim_type_name(type), WMGW_CIM_IS_ARRAY(type) ? "[]" : "");
    if (!WMGW_CIM_IS_ARRAY(type))
        return put_scalar(w, heap, type, v, slot);
    uint16_t base = WMGW_CIM_BASETYPE(type);
    size_t esize = wmgw__wmio_slot_size(base), n = v->u.arr.n, start = heap->len;
    if (heap->len > 0x7FFFFFFFu || n > UINT32_MAX / 8)
        return wmgw__wmio_wfail(w, WMGW_ETOOBIG, "array too large");
    /* Count, then the element slots; items (strings, objects) follow the slots. */
    int rc = wmgw__wmio_add32(heap, (uint32_t)n);
    uint8_t zero[8] = {0};
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = wmgw_buf_add(heap, zero, esize);
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t el[8] = {0};
        rc = put_scalar(w, heap, base, &v->u.arr.v[i], el);
        if (rc == 0) /* heap->data may have moved: copy the slot in afterwards */
            memcpy(heap->data + start + 4 + i * esize, el, esize);
    }
    if (rc != 0) {
        heap->len = start;
        return rc == WMGW_ETOOBIG ? wmgw__wmio_wfail(w, rc, "object larger than %u bytes", WMGW_WMIO_MAX_OUTPUT) : rc;
    }
    wmgw__wmio_put32(slot, (uint32_t)start);
    return 0;
}

int wmgw__wmio_put_quals(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, const struct wmgw__wmio_wqual *q,
                         size_t n, struct wmgw_buf *out)
{
    size_t start = out->len;
    int rc = wmgw__wmio_add32(out, 0);
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t name = WMGW__WMIO_NULLREF;
        for (uint32_t k = 0; k < WMGW__WMIO_DICT_SIZE && name == WMGW__WMIO_NULLREF; k++)
            if (strcmp(q[i].name, wmgw__wmio_dict[k]) == 0)
                name = WMGW__WMIO_DICT_BIT | k;
        if (name == WMGW__WMIO_NULLREF)
            rc = wmgw__wmio_put_hstring(w, heap, q[i].name, &name);
        const struct wmgw_cim_value *v = q[i].value;
        uint8_t hdr[9], slot[8] = {0};
        size_t ssize = wmgw__wmio_slot_size(v->type);
        if (rc == 0 && !wmgw__wmio_type_known(v->type))
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "qualifier %s of unknown type %u", q[i].name, v->type);
        if (rc == 0 && v->null && wmgw__wmio_heap_backed(v->type))
            wmgw__wmio_put32(slot, WMGW__WMIO_NULLREF); /* a NULL number is written as 0 */
        else if (rc == 0 && !v->null)
            rc = wmgw__wmio_put_value(w, heap, v->type, v, slot);
        if (rc != 0)
            break;
        wmgw__wmio_put32(hdr, name);
        hdr[4] = q[i].flavor;
        wmgw__wmio_put32(hdr + 5, v->type);
        if ((rc = wmgw_buf_add(out, hdr, 9)) == 0)
            rc = wmgw_buf_add(out, slot, ssize);
    }
    if (rc != 0) {
        out->len = start;
        return rc;
    }
    patch32(out, start, (uint32_t)(out->len - start));
    return 0;
}

/* --- instances ------------------------------------------------------------------ */

int wmgw__wmio_put_decoration(struct wmgw__wmio_wctx *w, struct wmgw_buf *out)
{
    const char *ns = w->opts->namespace_ ? w->opts->namespace_ : "";
    char *bs = strdup(ns); /* WMI writes namespaces with backslashes: root\cimv2 */
    if (bs == NULL)
        return WMGW_ENOMEM;
    for (char *c = bs; *c; c++)
        if (*c == '/')
            *c = '\\';
    int rc = wmgw__wmio_add_estring(out, w->opts->server ? w->opts->server : "");
    if (rc == 0)
        rc = wmgw__wmio_add_estring(out, bs);
    free(bs);
    return rc;
}

int wmgw__wmio_wlayout(struct wmgw__wmio_wctx *w, const uint8_t *part, size_t len, struct wmgw__wmio_layout **out)
{
    struct wmgw__wmio_dctx d;
    wmgw__wmio_dctx_init(&d, part, len, w->err);
    return wmgw__wmio_layout_parse(&d, part, len, false, out, NULL);
}

/* The layout property named `name` (case-insensitively), or -1. */
static long find_prop(const struct wmgw__wmio_layout *l, const char *name)
{
    size_t lo = 0, hi = l->nprops;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcasecmp(name, l->props[l->sorted[mid]].name);
        if (c == 0)
            return (long)l->sorted[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

int wmgw__wmio_in_member(struct wmgw__wmio_wctx *w, int rc, const char *owner, const char *name)
{
    /* Only a message this failure wrote (not ENOMEM's, not an older one). */
    if (rc == 0 || w->err == NULL || w->err->code != rc)
        return rc;
    char msg[sizeof(w->err->message)];
    const char *m = w->err->message;
    if (strncmp(m, "WMIO encode: ", 13) == 0)
        m += 13;
    snprintf(msg, sizeof(msg), "%s", m);
    return wmgw_err_set(w->err, rc, "WMIO encode: %.80s%s%.80s: %s", owner ? owner : "", owner ? "." : "", name, msg);
}

int wmgw__wmio_put_instance_part(struct wmgw__wmio_wctx *w, const struct wmgw__wmio_layout *l,
                                 const struct wmgw_cim_instance *inst, struct wmgw_buf *out)
{
    if (inst->class_name == NULL || strcasecmp(inst->class_name, l->name) != 0)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "an instance of %.80s given with the class part of %.80s",
                                inst->class_name ? inst->class_name : "(no class)", l->name);
    const struct wmgw_cim_value **given = calloc(l->nprops ? l->nprops : 1, sizeof(*given));
    size_t *by_order = calloc(l->nprops ? l->nprops : 1, sizeof(*by_order));
    uint8_t *ndvt = calloc(l->ndvt_len ? l->ndvt_len : 1, 1);
    struct wmgw_buf heap;
    wmgw_buf_init(&heap, WMGW_WMIO_MAX_OUTPUT);
    int rc = given && by_order && ndvt ? 0 : WMGW_ENOMEM;
    for (size_t i = 0; rc == 0 && i < inst->props.n; i++) {
        const struct wmgw_cim_prop *p = &inst->props.items[i];
        long k = find_prop(l, p->name);
        if (k < 0)
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "%.80s is not a property of %.80s", p->name, l->name);
        else if (given[k] != NULL)
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "property %.80s given twice", p->name);
        else
            given[k] = &p->value;
    }
    for (size_t i = 0; rc == 0 && i < l->nprops; i++)
        by_order[l->props[i].order] = i;
    uint32_t cn_ref = 0;
    if (rc == 0)
        rc = wmgw__wmio_put_hstring(w, &heap, l->name, &cn_ref); /* offset 0: see above */
    /* In declaration order, so heap items follow the value table's order. */
    for (size_t o = 0; rc == 0 && o < l->nprops; o++) {
        const struct wmgw__wmio_prop *pr = &l->props[by_order[o]];
        const struct wmgw_cim_value *v = given[by_order[o]];
        /* As Windows writes them: a NULL that is also the class default
         * has both bits (Win32_UTCTime.Milliseconds is 11). */
        unsigned bits = 0, class_null = wmgw__wmio_nd_bits(l->ndvt, pr->order) & WMGW__WMIO_ND_NULL;
        if (v == NULL)
            bits = WMGW__WMIO_ND_DEFAULT | class_null;
        else if (v->null)
            bits = WMGW__WMIO_ND_NULL | (class_null ? WMGW__WMIO_ND_DEFAULT : 0);
        else
            rc = wmgw__wmio_in_member(w, wmgw__wmio_put_value(w, &heap, pr->type, v, ndvt + l->nd_len + pr->vt_off),
                                      l->name, pr->name);
        ndvt[pr->order / 4] |= (uint8_t)(bits << (2 * (pr->order % 4)));
    }
    size_t start = out->len, len = 9 + l->ndvt_len + 4 + 1 + 4 + heap.len;
    if (rc == 0 && len > UINT32_MAX)
        rc = wmgw__wmio_wfail(w, WMGW_ETOOBIG, "instance too large");
    if (rc == 0) {
        uint8_t hdr[9] = {0};
        wmgw__wmio_put32(hdr, (uint32_t)len);
        wmgw__wmio_put32(hdr + 5, cn_ref); /* hdr[4]: InstanceFlags, reserved 0 */
        static const uint8_t noquals[5] = {4, 0, 0, 0, 1}; /* empty set; InstPropQualSetFlag 1 */
        rc = wmgw_buf_add(out, hdr, 9);
        if (rc == 0)
            rc = wmgw_buf_add(out, ndvt, l->ndvt_len);
        if (rc == 0)
            rc = wmgw_buf_add(out, noquals, 5);
        if (rc == 0)
            rc = wmgw__wmio_add32(out, (uint32_t)heap.len | 0x80000000u);
        if (rc == 0)
            rc = wmgw_buf_add(out, heap.data, heap.len);
        if (rc != 0)
            out->len = start;
    }
    free(given);
    free(by_order);
    free(ndvt);
    wmgw_buf_dispose(&heap);
    return rc == WMGW_ETOOBIG && (w->err == NULL || w->err->code != rc)
               ? wmgw__wmio_wfail(w, rc, "object larger than %u bytes", WMGW_WMIO_MAX_OUTPUT)
               : rc;
}

int wmgw__wmio_put_instance_block(struct wmgw__wmio_wctx *w, const uint8_t *part, size_t part_len,
                                  const struct wmgw_cim_instance *inst, bool decorate, struct wmgw_buf *out)
{
    size_t start = out->len;
    struct wmgw__wmio_layout *l = NULL;
    int rc = wmgw__wmio_wlayout(w, part, part_len, &l);
    if (rc == 0)
        rc = wmgw_buf_addc(out, (char)(WMGW_WMIO_OBJ_INSTANCE | (decorate ? WMGW_WMIO_OBJ_DECORATED : 0)));
    if (rc == 0 && decorate)
        rc = wmgw__wmio_put_decoration(w, out);
    if (rc == 0)
        rc = wmgw_buf_add(out, part, part_len);
    if (rc == 0)
        rc = wmgw__wmio_put_instance_part(w, l, inst, out);
    wmgw__wmio_layout_free(l);
    if (rc != 0)
        out->len = start;
    return rc;
}

int wmgw__wmio_finish_unit(struct wmgw__wmio_wctx *w, struct wmgw_buf *out, const struct wmgw_buf *block)
{
    size_t start = out->len;
    int rc = wmgw__wmio_add32(out, WMGW__WMIO_SIGNATURE);
    if (rc == 0)
        rc = wmgw__wmio_add32(out, (uint32_t)block->len);
    if (rc == 0)
        rc = wmgw_buf_add(out, block->data, block->len);
    if (rc != 0) {
        out->len = start;
        return wmgw__wmio_wfail(w, rc, "the output buffer is full");
    }
    return 0;
}

bool wmgw__wmio_decorated(const struct wmgw_wmio_encode_opts *o)
{
    return o->server != NULL || o->namespace_ != NULL;
}

static int encode_with_part(struct wmgw__wmio_wctx *w, struct wmgw_buf *out, const uint8_t *part, size_t part_len,
                            const struct wmgw_cim_instance *inst)
{
    struct wmgw_buf block;
    wmgw_buf_init(&block, WMGW_WMIO_MAX_OUTPUT);
    int rc = wmgw__wmio_put_instance_block(w, part, part_len, inst, wmgw__wmio_decorated(w->opts), &block);
    if (rc == 0)
        rc = wmgw__wmio_finish_unit(w, out, &block);
    wmgw_buf_dispose(&block);
    return rc;
}

int wmgw_wmio_encode_instance(struct wmgw_buf *out, const struct wmgw_cim_instance *inst,
                              const struct wmgw_cim_class *cls, const struct wmgw_wmio_encode_opts *opts,
                              struct wmgw_err *err)
{
    static const struct wmgw_wmio_encode_opts none;
    struct wmgw__wmio_wctx w = {err, opts ? opts : &none, 0};
    if (inst == NULL)
        return wmgw__wmio_wfail(&w, WMGW_EINVAL, "no instance");
    if (w.opts->class_part != NULL)
        return encode_with_part(&w, out, w.opts->class_part->part, w.opts->class_part->part_len, inst);
    if (cls == NULL)
        return wmgw__wmio_wfail(&w, WMGW_EINVAL, "an instance needs its class or a class part");
    struct wmgw_buf part;
    wmgw_buf_init(&part, WMGW_WMIO_MAX_OUTPUT);
    int rc = wmgw__wmio_class_part(&w, cls, &part);
    if (rc == 0)
        rc = encode_with_part(&w, out, (const uint8_t *)part.data, part.len, inst);
    wmgw_buf_dispose(&part);
    return rc;
}

int wmgw_wmio_encode_params(struct wmgw_buf *out, const struct wmgw_cim_class *cls, const char *method,
                            bool out_params, const struct wmgw_cim_proplist *params,
                            const struct wmgw_wmio_encode_opts *opts, struct wmgw_err *err)
{
    static const struct wmgw_wmio_encode_opts none;
    struct wmgw__wmio_wctx w = {err, opts ? opts : &none, 0};
    const char *dir = out_params ? "out" : "in";
    const uint8_t *part = NULL;
    size_t part_len = 0;
    bool found = false;
    const struct wmgw_wmio_class_entry *e = w.opts->class_part;
    for (size_t i = 0; e != NULL && method != NULL && i < e->nsigs && !found; i++) {
        if (strcasecmp(e->sigs[i].method, method) == 0) {
            found = true;
            part = out_params ? e->sigs[i].out_part : e->sigs[i].in_part;
            part_len = out_params ? e->sigs[i].out_len : e->sigs[i].in_len;
        }
    }
    struct wmgw_buf own;
    wmgw_buf_init(&own, WMGW_WMIO_MAX_OUTPUT);
    int rc = 0;
    if (!found) {
        const struct wmgw_cim_method *m = cls && method ? wmgw_cim_class_method(cls, method) : NULL;
        if (m == NULL)
            return wmgw__wmio_wfail(&w, WMGW_ENOTFOUND, "no method %.80s", method ? method : "(null)");
        rc = wmgw__wmio_sig_part(&w, m, out_params, &own);
        part = (const uint8_t *)own.data;
        part_len = own.len;
    }
    if (rc == 0 && part == NULL)
        rc = wmgw__wmio_wfail(&w, WMGW_ENOTFOUND, "method %.80s has no %s-parameters", method, dir);
    if (rc == 0) {
        /* A borrowed view of params as an instance of __PARAMETERS. */
        struct wmgw_cim_instance view = {.refcnt = 1, .class_name = "__PARAMETERS"};
        if (params != NULL)
            view.props = *params;
        rc = encode_with_part(&w, out, part, part_len, &view);
    }
    wmgw_buf_dispose(&own);
    return rc;
}
