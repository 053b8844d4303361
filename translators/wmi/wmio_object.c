/*
 * wmio_object.c: ObjectBlocks (MS-WMIO 2.2.5) and the instance part
 * (InstanceType, 2.2.53): the decoder's entry points (wmio.h).
 *
 * An ObjectBlock is ObjectFlags, an optional Decoration (server and
 * namespace), then a class (ParentClass and CurrentClass, each a ClassPart
 * and a MethodsPart) or an instance (its CurrentClass's ClassPart, then
 * NdTable, ValueTable, qualifier sets and the instance heap).  With a
 * class cache, an instance's class part is looked up by its bytes, so the
 * instances of one enumeration decode their class once; class objects
 * leave their part and method signatures there for later encodes.
 *
 * Values follow the NdTable (indexed by DeclarationOrder): bit 0 NULL,
 * bit 1 the class default, neither the ValueTable slot.  Embedded objects
 * come back here one level deeper (wmgw__wmio_embedded), never beyond
 * WMGW_WMIO_MAX_DEPTH.  Nothing is returned unless everything decoded.
 */
#include "translators/wmi/wmio_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wmgw_wmio_object_dispose(struct wmgw_wmio_object *o)
{
    free(o->server);
    free(o->namespace_);
    for (size_t i = 0; i < o->nderiv; i++)
        free(o->deriv[i]);
    free(o->deriv);
    wmgw_cim_class_free(o->cls);
    wmgw_cim_instance_unref(o->inst);
    memset(o, 0, sizeof(*o));
}

static int decoration(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, size_t *pos,
                      struct wmgw_wmio_object *out)
{
    char *server = NULL, *ns = NULL;
    size_t used;
    int rc = wmgw__wmio_estring(d, p + *pos, len - *pos, "DecServerName", &server, &used);
    if (rc != 0)
        return rc;
    *pos += used;
    if ((rc = wmgw__wmio_estring(d, p + *pos, len - *pos, "DecNamespaceName", &ns, &used)) != 0) {
        free(server);
        return rc;
    }
    *pos += used;
    if (server[0] != '\0')
        out->server = server;
    else
        free(server);
    if ((out->namespace_ = wmgw_cim_namespace_normalize(ns)) == NULL) {
        rc = WMGW_ENOMEM;
    } else if (out->namespace_[0] == '\0') { /* "" or only separators: none */
        free(out->namespace_);
        out->namespace_ = NULL;
    }
    free(ns);
    return rc;
}

static int copy_deriv(const struct wmgw__wmio_layout *l, struct wmgw_wmio_object *out)
{
    if (l->nderiv == 0)
        return 0;
    if ((out->deriv = calloc(l->nderiv, sizeof(*out->deriv))) == NULL)
        return WMGW_ENOMEM;
    for (; out->nderiv < l->nderiv; out->nderiv++)
        if ((out->deriv[out->nderiv] = strdup(l->deriv[out->nderiv])) == NULL)
            return WMGW_ENOMEM;
    return 0;
}

/* About what a copy of v costs, for the budget (embedded objects nest at
 * most WMGW_WMIO_MAX_DEPTH deep: they were decoded). */
static size_t model_size(const struct wmgw_cim_value *v)
{
    if (v->null)
        return 0;
    size_t n = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.n : 1, sum = n * sizeof(*v);
    const struct wmgw_cim_value *e = WMGW_CIM_IS_ARRAY(v->type) ? v->u.arr.v : v;
    for (size_t i = 0; i < n; i++) {
        switch (WMGW_CIM_BASETYPE(v->type)) {
        case WMGW_CIM_STRING: case WMGW_CIM_DATETIME: sum += strlen(e[i].u.str) + 1; break;
        case WMGW_CIM_REFERENCE: sum += 256; break;
        case WMGW_CIM_OBJECT:
            for (size_t k = 0; k < e[i].u.obj->props.n; k++)
                sum += sizeof(struct wmgw_cim_prop) + model_size(&e[i].u.obj->props.items[k].value);
            break;
        default: break;
        }
    }
    return sum;
}

/* The instance part p[0..avail) of a class laid out by l, whose model (for
 * defaults) is c. */
static int instance_part(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_layout *l, const struct wmgw_cim_class *c,
                         const uint8_t *p, size_t avail, const char *ns, struct wmgw_cim_instance **out)
{
    *out = NULL;
    if (avail < 4)
        return wmgw__wmio_fail(d, p, "instance part runs past the end");
    uint32_t len = wmgw__wmio_le32(p);
    size_t min = 9 + l->ndvt_len + 4 + 1 + 4;
    if (len < min || len > avail)
        return wmgw__wmio_fail(d, p, "instance part length %u outside %zu..%zu", len, min, avail);
    uint32_t cn_ref = wmgw__wmio_le32(p + 5); /* after EncodingLength and the reserved InstanceFlags */
    const uint8_t *ndvt = p + 9;
    size_t pos = 9 + l->ndvt_len;
    uint32_t qlen = wmgw__wmio_le32(p + pos);
    const uint8_t *qset = p + pos;
    if (qlen < 4 || qlen > len - pos)
        return wmgw__wmio_fail(d, qset, "InstanceQualifierSet length %u does not fit the instance part", qlen);
    pos += qlen;
    if (pos >= len || (p[pos] != 1 && p[pos] != 2))
        return wmgw__wmio_fail(d, p + pos, "InstPropQualSetFlag must be 1 or 2");
    bool per_prop = p[pos++] == 2;
    const uint8_t *psets = p + pos;
    for (size_t i = 0; per_prop && i < l->nprops; i++) {
        uint32_t sl = len - pos >= 4 ? wmgw__wmio_le32(p + pos) : 0;
        if (sl < 4 || sl > len - pos)
            return wmgw__wmio_fail(d, p + pos, "property qualifier set %zu does not fit the instance part", i);
        pos += sl;
    }
    if (len - pos < 4)
        return wmgw__wmio_fail(d, p + pos, "InstanceHeap runs past the instance part");
    struct wmgw__wmio_heap h = {p + pos + 4, wmgw__wmio_le32(p + pos) & 0x7FFFFFFFu, "instance heap"};
    if (h.len > len - pos - 4)
        return wmgw__wmio_fail(d, p + pos, "InstanceHeap length %zu does not fit the instance part", h.len);

    /* Instance qualifiers have no place in the model, but must be sound. */
    struct wmgw__wmio_qual *q;
    size_t nq, used;
    int rc = wmgw__wmio_read_quals(d, qset, qlen, &h, "instance qualifiers", &q, &nq, NULL);
    wmgw__wmio_quals_free(q, nq);
    for (size_t i = 0, at = 0; rc == 0 && per_prop && i < l->nprops; i++, at += used) {
        rc = wmgw__wmio_read_quals(d, psets + at, (size_t)(p + pos - psets) - at, &h, "property qualifiers", &q, &nq,
                                   &used);
        wmgw__wmio_quals_free(q, nq);
    }
    char *cname = NULL;
    if (rc == 0 && (rc = wmgw__wmio_heap_string(d, &h, cn_ref, "InstanceClassName", &cname)) == 0 &&
        (cname == NULL || strcasecmp(cname, l->name) != 0))
        rc = wmgw__wmio_fail(d, p + 5, "instance names class \"%.60s\" but its class part is %.60s",
                             cname ? cname : "(null)", l->name);
    free(cname);
    if (rc != 0)
        return rc;

    rc = wmgw__wmio_charge(d, sizeof(struct wmgw_cim_instance) + l->nprops * sizeof(struct wmgw_cim_prop), p,
                           "instance");
    struct wmgw_cim_instance *inst = rc == 0 ? wmgw_cim_instance_new(l->name, ns) : NULL;
    if (rc == 0 && inst == NULL)
        rc = WMGW_ENOMEM;
    if (rc == 0 && l->nprops > 0) {
        inst->props.items = calloc(l->nprops, sizeof(*inst->props.items));
        inst->props.cap = l->nprops;
        if (inst->props.items == NULL)
            rc = WMGW_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < l->nprops; i++) {
        const struct wmgw__wmio_prop *pr = &l->props[l->sorted[i]];
        struct wmgw_cim_prop *v = wmgw_cim_proplist_add(&inst->props, pr->name, pr->type);
        if (v == NULL) {
            rc = WMGW_ENOMEM;
            break;
        }
        unsigned bits = wmgw__wmio_nd_bits(ndvt, pr->order);
        const uint8_t *slot = ndvt + l->nd_len + pr->vt_off;
        if (bits & WMGW__WMIO_ND_NULL)
            continue;
        if (bits & WMGW__WMIO_ND_DEFAULT) {
            rc = wmgw__wmio_charge(d, model_size(&c->props[i].default_value), slot, pr->name);
            if (rc == 0)
                rc = wmgw_cim_value_copy(&v->value, &c->props[i].default_value);
        } else if (!(wmgw__wmio_heap_backed(pr->type) && wmgw__wmio_le32(slot) == cn_ref)) /* impacket's "no value" */
            rc = wmgw__wmio_read_value(d, pr->type, slot, &h, pr->name, &v->value);
    }
    if (rc != 0) {
        wmgw_cim_instance_unref(inst);
        return rc;
    }
    *out = inst;
    return 0;
}

/* ClassType: ParentClass and CurrentClass, each with its MethodsPart. */
static int class_type(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, size_t pos,
                      const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                      struct wmgw__wmio_objinfo *info)
{
    struct wmgw__wmio_layout *l = NULL;
    size_t used;
    int rc = wmgw__wmio_layout_parse(d, p + pos, len - pos, true, &l, &used);
    wmgw__wmio_layout_free(l);
    if (rc != 0)
        return rc;
    pos += used;
    if ((rc = wmgw__wmio_methods_parse(d, p + pos, len - pos, NULL, NULL, NULL, &used)) != 0)
        return rc;
    pos += used;
    if ((rc = wmgw__wmio_layout_parse(d, p + pos, len - pos, false, &l, &used)) != 0)
        return rc;
    const uint8_t *part = p + pos;
    size_t part_len = used;
    pos += used;
    struct wmgw_wmio_sig *sigs = NULL;
    size_t nsigs = 0;
    rc = wmgw__wmio_class_build(d, l, out->namespace_, &out->cls);
    if (rc == 0)
        rc = copy_deriv(l, out);
    wmgw__wmio_layout_free(l);
    if (rc == 0)
        rc = wmgw__wmio_methods_parse(d, p + pos, len - pos, out->cls, opts->cache ? &sigs : NULL, &nsigs, &used);
    if (rc != 0)
        return rc;
    info->cur_part = part;
    info->cur_len = part_len;
    if (opts->cache != NULL) {
        /* The entry takes the signatures, also when it cannot be made. */
        struct wmgw_wmio_class_entry *e;
        if ((rc = wmgw__wmio_entry_new(d, part, part_len, true, out->cls, sigs, nsigs, &e)) == 0)
            wmgw__wmio_cache_add(opts->cache, e);
    }
    return rc;
}

/* InstanceType, its class part from the input (or from `given`). */
static int instance_type(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, size_t pos,
                         const struct wmgw_wmio_class_entry *given, const struct wmgw_wmio_decode_opts *opts,
                         struct wmgw_wmio_object *out, struct wmgw__wmio_objinfo *info)
{
    const struct wmgw_wmio_class_entry *e = given;
    struct wmgw_wmio_class_entry *fresh = NULL;
    struct wmgw__wmio_layout *l = NULL;
    struct wmgw_cim_class *c = NULL;
    int rc = 0;
    if (e == NULL) {
        if (len - pos < 4)
            return wmgw__wmio_fail(d, p + pos, "instance without its class part");
        uint32_t plen = wmgw__wmio_le32(p + pos);
        if (plen > len - pos)
            return wmgw__wmio_fail(d, p + pos, "ClassPart length %u does not fit the object", plen);
        info->cur_part = p + pos;
        info->cur_len = plen;
        if (opts->cache != NULL && (e = wmgw__wmio_cache_match(opts->cache, p + pos, plen)) == NULL) {
            if ((rc = wmgw__wmio_entry_new(d, p + pos, plen, false, NULL, NULL, 0, &fresh)) != 0)
                return rc;
            e = fresh;
        }
        if (e == NULL) {
            size_t used;
            if ((rc = wmgw__wmio_layout_parse(d, p + pos, len - pos, false, &l, &used)) != 0)
                return rc;
            if ((rc = wmgw__wmio_class_build(d, l, out->namespace_, &c)) != 0) {
                wmgw__wmio_layout_free(l);
                return rc;
            }
        }
        pos += plen;
    }
    const struct wmgw__wmio_layout *lay = e ? e->layout : l;
    const struct wmgw_cim_class *cls = e ? e->cls : c;
    rc = instance_part(d, lay, cls, p + pos, len - pos, out->namespace_, &out->inst);
    if (rc == 0)
        rc = copy_deriv(lay, out);
    if (rc == 0 && opts->want_class) {
        if (c != NULL) {
            out->cls = c;
            c = NULL;
        } else if ((out->cls = wmgw__wmio_class_copy(cls)) == NULL) {
            rc = WMGW_ENOMEM;
        }
        if (rc == 0 && out->cls != NULL) {
            free(out->cls->namespace_);
            out->cls->namespace_ = wmgw_cim_strdup(out->namespace_);
            if (out->namespace_ != NULL && out->cls->namespace_ == NULL)
                rc = WMGW_ENOMEM;
        }
    }
    wmgw__wmio_layout_free(l);
    wmgw_cim_class_free(c);
    if (fresh != NULL) {
        if (rc == 0)
            wmgw__wmio_cache_add(opts->cache, fresh);
        else
            wmgw__wmio_entry_free(fresh);
    }
    return rc;
}

static int object(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, const struct wmgw_wmio_class_entry *given,
                  const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                  struct wmgw__wmio_objinfo *info)
{
    static const struct wmgw_wmio_decode_opts none;
    struct wmgw__wmio_objinfo scratch;
    if (opts == NULL)
        opts = &none;
    if (info == NULL)
        info = &scratch;
    memset(out, 0, sizeof(*out));
    memset(info, 0, sizeof(*info));
    if (len < 1)
        return wmgw__wmio_fail(d, p, "empty ObjectBlock");
    uint8_t flags = p[0];
    bool is_class = flags & WMGW_WMIO_OBJ_CLASS, is_inst = flags & WMGW_WMIO_OBJ_INSTANCE;
    if (is_class == is_inst || (given != NULL && is_class))
        return wmgw__wmio_fail(d, p, "ObjectFlags 0x%02x: must be a class (0x01) or an instance (0x02)%s", flags,
                               given ? ", here an instance" : "");
    out->flags = flags;
    size_t pos = 1;
    int rc = 0;
    if (flags & WMGW_WMIO_OBJ_DECORATED)
        rc = decoration(d, p, len, &pos, out);
    if (rc == 0 && out->namespace_ == NULL && opts->namespace_ != NULL &&
        (out->namespace_ = strdup(opts->namespace_)) == NULL)
        rc = WMGW_ENOMEM;
    if (rc == 0)
        rc = is_class ? class_type(d, p, len, pos, opts, out, info)
                      : instance_type(d, p, len, pos, given, opts, out, info);
    if (rc != 0)
        wmgw_wmio_object_dispose(out);
    return rc;
}

int wmgw__wmio_object(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len,
                      const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                      struct wmgw__wmio_objinfo *info)
{
    return object(d, p, len, NULL, opts, out, info);
}

int wmgw__wmio_embedded(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, struct wmgw_cim_instance **out)
{
    *out = NULL;
    if (d->depth >= WMGW_WMIO_MAX_DEPTH)
        return wmgw__wmio_fail(d, p, "objects nested more than %d deep", WMGW_WMIO_MAX_DEPTH);
    struct wmgw_wmio_object o;
    d->depth++;
    int rc = object(d, p, len, NULL, NULL, &o, NULL);
    d->depth--;
    if (rc != 0)
        return rc;
    if (o.inst != NULL) {
        *out = o.inst;
        o.inst = NULL;
    } else {
        /* An embedded class (e.g. __ClassCreationEvent.TargetClass): the
         * model holds instances only, so it becomes one holding the
         * class's defaults. */
        struct wmgw_cim_instance *inst = wmgw_cim_instance_new(o.cls->name, o.namespace_);
        for (size_t i = 0; rc == 0 && inst != NULL && i < o.cls->nprops; i++) {
            const struct wmgw_cim_propdecl *pd = &o.cls->props[i];
            struct wmgw_cim_prop *v = wmgw_cim_proplist_add(&inst->props, pd->name, pd->type);
            rc = v == NULL ? WMGW_ENOMEM : wmgw_cim_value_copy(&v->value, &pd->default_value);
        }
        if (inst == NULL || rc != 0) {
            wmgw_cim_instance_unref(inst);
            rc = WMGW_ENOMEM;
        } else {
            *out = inst;
        }
    }
    wmgw_wmio_object_dispose(&o);
    return rc;
}

/* --- entry points ------------------------------------------------------------ */

static int too_big(size_t len, struct wmgw_err *err)
{
    return wmgw_err_set(err, WMGW_EPROTO, "WMIO: %zu-byte object exceeds the %u-byte limit", len,
                        WMGW_WMIO_MAX_INPUT);
}

/* An EncodingUnit at p (positions in d count from d->base). */
static int unit(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                struct wmgw_wmio_object *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 8)
        return wmgw__wmio_fail(d, p, "EncodingUnit shorter than its 8-byte header");
    if (wmgw__wmio_le32(p) != WMGW__WMIO_SIGNATURE)
        return wmgw__wmio_fail(d, p, "EncodingUnit signature 0x%08x is not 0x12345678", wmgw__wmio_le32(p));
    /* ObjectEncodingLength excludes the header; MS-WMIO's own example
     * claims more than it has, so what is there bounds it. */
    size_t olen = wmgw__wmio_le32(p + 4);
    if (olen > len - 8)
        olen = len - 8;
    return object(d, p + 8, olen, NULL, opts, out, NULL);
}

int wmgw_wmio_decode_unit(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                          struct wmgw_wmio_object *out, struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (len > WMGW_WMIO_MAX_INPUT)
        return too_big(len, err);
    struct wmgw__wmio_dctx d;
    wmgw__wmio_dctx_init(&d, p, len, err);
    return unit(&d, p, len, opts, out);
}

int wmgw_wmio_decode_block(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                           struct wmgw_wmio_object *out, struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (len > WMGW_WMIO_MAX_INPUT)
        return too_big(len, err);
    struct wmgw__wmio_dctx d;
    wmgw__wmio_dctx_init(&d, p, len, err);
    return object(&d, p, len, NULL, opts, out, NULL);
}

int wmgw_wmio_decode_noclass(const uint8_t *p, size_t len, const struct wmgw_wmio_class_entry *cls,
                             const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                             struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (cls == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "WMIO: an instance without its class part needs the class");
    if (len > WMGW_WMIO_MAX_INPUT)
        return too_big(len, err);
    struct wmgw__wmio_dctx d;
    wmgw__wmio_dctx_init(&d, p, len, err);
    return object(&d, p, len, cls, opts, out, NULL);
}

int wmgw_wmio_decode_objref(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                            struct wmgw_wmio_object *out, struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (len > WMGW_WMIO_MAX_INPUT)
        return too_big(len, err);
    const uint8_t *u;
    size_t ulen;
    int rc = wmgw_wmio_objref_unwrap(p, len, &u, &ulen, err);
    if (rc != 0)
        return rc;
    struct wmgw__wmio_dctx d;
    wmgw__wmio_dctx_init(&d, p, len, err);
    return unit(&d, u, ulen, opts, out);
}
