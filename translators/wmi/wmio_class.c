/*
 * wmio_class.c: ClassParts (MS-WMIO 2.2.15): where everything of a class
 * lives (a layout: ClassHeader, DerivationList, ClassQualifierSet,
 * PropertyLookupTable, PropertyInfo items, NdTable, ValueTable, ClassHeap)
 * and the struct wmgw_cim_class it stands for (wmio.h).
 *
 * The layout is what instances are decoded with (and what the encoder
 * writes values by), so it is parsed once per class part and kept in the
 * per-connection cache.  Every reference is checked here: names and
 * PropertyInfo items inside the class heap, DeclarationOrder inside the
 * NdTable, ValueTableOffset plus the slot inside the ValueTable, no two
 * slots overlapping (values are written back into them), no two
 * properties with one name (case-insensitively) or one DeclarationOrder.
 * The CIMTYPE qualifier is read here too: it names the class of
 * references and embedded objects and marks strings that are datetimes
 * or references (2.3.1, 2.3.2).
 */
#include "translators/wmi/wmio_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_LEN 13 /* EncodingLength, ReservedOctet, ClassNameRef, NdTableValueTableLength */
#define PROPINFO_LEN 14 /* PropertyType, DeclarationOrder, ValueTableOffset, ClassOfOrigin */

void wmgw__wmio_layout_free(struct wmgw__wmio_layout *l)
{
    if (l == NULL)
        return;
    free(l->name);
    for (size_t i = 0; i < l->nderiv; i++)
        free(l->deriv[i]);
    free(l->deriv);
    wmgw__wmio_quals_free(l->quals, l->nquals);
    for (size_t i = 0; l->props != NULL && i < l->nprops; i++) {
        free(l->props[i].name);
        free(l->props[i].ref_class);
        wmgw__wmio_quals_free(l->props[i].quals, l->props[i].nquals);
    }
    free(l->props);
    free(l->sorted);
    free(l);
}

static int parse_derivation(struct wmgw__wmio_dctx *d, struct wmgw__wmio_layout *l, const uint8_t *p, size_t len)
{
    size_t pos = 4;
    while (pos < len) {
        if (l->nderiv >= WMGW_WMIO_MAX_MEMBERS)
            return wmgw__wmio_fail(d, p + pos, "DerivationList: too many classes");
        char **nd = realloc(l->deriv, (l->nderiv + 1) * sizeof(*nd));
        if (nd == NULL)
            return WMGW_ENOMEM;
        l->deriv = nd;
        size_t used;
        int rc = wmgw__wmio_estring(d, p + pos, len - pos, "DerivationList", &l->deriv[l->nderiv], &used);
        if (rc != 0)
            return rc;
        l->nderiv++;
        /* Each name is followed by its length in characters (2.2.18): not needed. */
        if (len - pos - used < 4)
            return wmgw__wmio_fail(d, p + pos, "DerivationList: name without its length");
        pos += used + 4;
    }
    return 0;
}

/* CIMTYPE (a string qualifier) refines the wire type (2.3.1, 2.3.2). */
static int apply_cimtype(struct wmgw__wmio_prop *pr)
{
    const char *ct = NULL;
    for (size_t i = 0; i < pr->nquals && ct == NULL; i++)
        if (strcasecmp(pr->quals[i].name, "CIMTYPE") == 0 && pr->quals[i].value.type == WMGW_CIM_STRING &&
            !pr->quals[i].value.null)
            ct = pr->quals[i].value.u.str;
    if (ct == NULL)
        return 0;
    uint16_t base = WMGW_CIM_BASETYPE(pr->type), array = pr->type & WMGW_CIM_ARRAY;
    const char *target = NULL;
    if ((strcasecmp(ct, "datetime") == 0 || strcasecmp(ct, "interval") == 0) && base == WMGW_CIM_STRING) {
        pr->type = (uint16_t)(WMGW_CIM_DATETIME | array);
    } else if (strncasecmp(ct, "ref", 3) == 0 && (ct[3] == '\0' || ct[3] == ':') &&
               (base == WMGW_CIM_STRING || base == WMGW_CIM_REFERENCE)) {
        pr->type = (uint16_t)(WMGW_CIM_REFERENCE | array);
        target = ct[3] == ':' ? ct + 4 : NULL;
    } else if (strncasecmp(ct, "object", 6) == 0 && (ct[6] == '\0' || ct[6] == ':') && base == WMGW_CIM_OBJECT) {
        target = ct[6] == ':' ? ct + 7 : NULL;
    }
    /* "ref:object" is an untyped reference (2.3.2). */
    if (target != NULL && *target != '\0' && !(base != WMGW_CIM_OBJECT && strcasecmp(target, "object") == 0))
        if ((pr->ref_class = strdup(target)) == NULL)
            return WMGW_ENOMEM;
    return 0;
}

static int cmp_props(const void *a, const void *b, void *ctx)
{
    const struct wmgw__wmio_layout *l = ctx;
    const char *x = l->props[*(const size_t *)a].name, *y = l->props[*(const size_t *)b].name;
    int c = strcasecmp(x, y);
    return c != 0 ? c : strcmp(x, y);
}

static int cmp_slots(const void *a, const void *b, void *ctx)
{
    const struct wmgw__wmio_layout *l = ctx;
    uint32_t x = l->props[*(const size_t *)a].vt_off, y = l->props[*(const size_t *)b].vt_off;
    return x < y ? -1 : x > y;
}

static int parse_props(struct wmgw__wmio_dctx *d, struct wmgw__wmio_layout *l, const uint8_t *lookup)
{
    size_t vt_len = l->ndvt_len - l->nd_len;
    uint8_t *seen = calloc(l->nprops / 8 + 1, 1);
    if (seen == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < l->nprops && rc == 0; i++) {
        struct wmgw__wmio_prop *pr = &l->props[i];
        const uint8_t *at = lookup + 8 * i, *info;
        if ((rc = wmgw__wmio_charge(d, sizeof(*pr) + sizeof(size_t), at, "PropertyLookupTable")) != 0)
            break;
        if ((rc = wmgw__wmio_heap_string(d, &l->heap, wmgw__wmio_le32(at), "property name", &pr->name)) != 0)
            break;
        if (pr->name == NULL || pr->name[0] == '\0') {
            rc = wmgw__wmio_fail(d, at, "property %zu has no name", i);
            break;
        }
        uint32_t info_ref = wmgw__wmio_le32(at + 4);
        if ((rc = wmgw__wmio_heap_item(d, &l->heap, info_ref, PROPINFO_LEN, pr->name, &info)) != 0)
            break;
        uint16_t t = (uint16_t)(wmgw__wmio_le32(info) & 0xFFFF);
        pr->inherited = (t & WMGW__WMIO_INHERITED) != 0;
        t &= (uint16_t)~WMGW__WMIO_INHERITED;
        if (!wmgw__wmio_type_known(t)) {
            rc = wmgw__wmio_fail(d, info, "property %s: unknown CIM type 0x%x", pr->name, t);
            break;
        }
        pr->type = t;
        pr->order = wmgw__wmio_le16(info + 4);
        pr->vt_off = wmgw__wmio_le32(info + 6);
        if (pr->order >= l->nprops || (seen[pr->order / 8] & (1u << (pr->order % 8)))) {
            rc = wmgw__wmio_fail(d, info, "property %s: DeclarationOrder %u is out of range or repeated", pr->name,
                                 pr->order);
            break;
        }
        seen[pr->order / 8] |= (uint8_t)(1u << (pr->order % 8));
        size_t slot = wmgw__wmio_slot_size(t);
        if (pr->vt_off > vt_len || slot > vt_len - pr->vt_off) {
            rc = wmgw__wmio_fail(d, info, "property %s: ValueTableOffset %u (+%zu) is outside the %zu-byte ValueTable",
                                 pr->name, pr->vt_off, slot, vt_len);
            break;
        }
        rc = wmgw__wmio_read_quals(d, info + PROPINFO_LEN, l->heap.len - info_ref - PROPINFO_LEN, &l->heap, pr->name,
                                   &pr->quals, &pr->nquals, NULL);
        if (rc == 0)
            rc = apply_cimtype(pr);
    }
    free(seen);
    if (rc != 0)
        return rc;
    /* No two slots may overlap: values are written back into them. */
    for (size_t i = 0; i < l->nprops; i++)
        l->sorted[i] = i;
    qsort_r(l->sorted, l->nprops, sizeof(*l->sorted), cmp_slots, l);
    for (size_t i = 1; i < l->nprops; i++) {
        const struct wmgw__wmio_prop *a = &l->props[l->sorted[i - 1]], *b = &l->props[l->sorted[i]];
        if (a->vt_off + wmgw__wmio_slot_size(a->type) > b->vt_off)
            return wmgw__wmio_fail(d, lookup, "the ValueTable slots of %s and %s overlap", a->name, b->name);
    }
    qsort_r(l->sorted, l->nprops, sizeof(*l->sorted), cmp_props, l);
    for (size_t i = 1; i < l->nprops; i++)
        if (strcasecmp(l->props[l->sorted[i - 1]].name, l->props[l->sorted[i]].name) == 0)
            return wmgw__wmio_fail(d, lookup, "two properties named %s", l->props[l->sorted[i]].name);
    return 0;
}

int wmgw__wmio_layout_parse(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, bool unnamed_ok,
                            struct wmgw__wmio_layout **out, size_t *used)
{
    *out = NULL;
    if (avail < HEADER_LEN)
        return wmgw__wmio_fail(d, p, "ClassHeader runs past the end");
    uint32_t len = wmgw__wmio_le32(p);
    if (len < HEADER_LEN || len > avail)
        return wmgw__wmio_fail(d, p, "ClassPart length %u outside %d..%zu", len, HEADER_LEN, avail);
    struct wmgw__wmio_layout *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return WMGW_ENOMEM;
    l->part = p;
    l->part_len = len;
    uint32_t name_ref = wmgw__wmio_le32(p + 5);
    l->ndvt_len = wmgw__wmio_le32(p + 9);
    size_t pos = HEADER_LEN;
    int rc = wmgw__wmio_charge(d, sizeof(*l), p, "ClassPart");
    uint32_t dl = 0, ql = 0;
    if (rc == 0 && (len - pos < 4 || (dl = wmgw__wmio_le32(p + pos)) < 4 || dl > len - pos))
        rc = wmgw__wmio_fail(d, p + pos, "DerivationList length %u does not fit its ClassPart", dl);
    if (rc == 0)
        rc = parse_derivation(d, l, p + pos, dl);
    pos += dl;
    const uint8_t *qset = p + pos;
    if (rc == 0 && (len - pos < 4 || (ql = wmgw__wmio_le32(qset)) < 4 || ql > len - pos))
        rc = wmgw__wmio_fail(d, qset, "ClassQualifierSet length %u does not fit its ClassPart", ql);
    pos += ql;
    uint32_t count = 0;
    if (rc == 0 && (len - pos < 4 || (count = wmgw__wmio_le32(p + pos)) > WMGW_WMIO_MAX_MEMBERS ||
                    (size_t)count * 8 > len - pos - 4))
        rc = wmgw__wmio_fail(d, p + pos, "PropertyCount %u does not fit its ClassPart (limit %d)", count,
                             WMGW_WMIO_MAX_MEMBERS);
    const uint8_t *lookup = p + pos + 4;
    pos += 4 + (size_t)count * 8;
    l->nprops = count;
    l->nd_len = count ? (count - 1) / 4 + 1 : 0;
    if (rc == 0 && (l->ndvt_len < l->nd_len || l->ndvt_len > len - pos))
        rc = wmgw__wmio_fail(d, p + 9, "NdTableValueTableLength %zu is shorter than the NdTable or longer than its "
                             "ClassPart", l->ndvt_len);
    l->ndvt = p + pos;
    pos += l->ndvt_len;
    if (rc == 0 && len - pos < 4)
        rc = wmgw__wmio_fail(d, p + pos, "ClassHeap runs past its ClassPart");
    if (rc == 0) {
        /* The high bit of HeapLength is always set (2.2.66); the rest is the length. */
        l->heap.len = wmgw__wmio_le32(p + pos) & 0x7FFFFFFFu;
        l->heap.p = p + pos + 4;
        l->heap.what = "class heap";
        if (l->heap.len > len - pos - 4)
            rc = wmgw__wmio_fail(d, p + pos, "ClassHeap length %zu does not fit its ClassPart", l->heap.len);
    }
    if (rc == 0)
        rc = wmgw__wmio_heap_string(d, &l->heap, name_ref, "class name", &l->name);
    if (rc == 0 && !unnamed_ok && (l->name == NULL || l->name[0] == '\0'))
        rc = wmgw__wmio_fail(d, p + 5, "class without a name");
    if (rc == 0)
        rc = wmgw__wmio_read_quals(d, qset, ql, &l->heap, "class qualifiers", &l->quals, &l->nquals, NULL);
    if (rc == 0 && count > 0) {
        l->props = calloc(count, sizeof(*l->props));
        l->sorted = calloc(count, sizeof(*l->sorted));
        rc = l->props == NULL || l->sorted == NULL ? WMGW_ENOMEM : parse_props(d, l, lookup);
    }
    if (rc != 0) {
        wmgw__wmio_layout_free(l);
        return rc;
    }
    *out = l;
    if (used != NULL)
        *used = len;
    return 0;
}

/* --- the model class ------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned flag;
} member_flags[] = {
    {"key", WMGW_CIM_Q_KEY}, {"read", WMGW_CIM_Q_READ}, {"write", WMGW_CIM_Q_WRITE},
    {"required", WMGW_CIM_Q_REQUIRED}, {"in", WMGW_CIM_Q_IN}, {"out", WMGW_CIM_Q_OUT},
};

static const struct {
    const char *name;
    unsigned flag;
} class_flags[] = {
    {"Association", WMGW_CIM_Q_ASSOCIATION},        {"Singleton", WMGW_CIM_Q_SINGLETON},
    {"Abstract", WMGW_CIM_Q_ABSTRACT},              {"SupportsCreate", WMGW_CIM_Q_SUPPORTS_CREATE},
    {"SupportsUpdate", WMGW_CIM_Q_SUPPORTS_UPDATE}, {"SupportsDelete", WMGW_CIM_Q_SUPPORTS_DELETE},
};

static bool is_bool(const struct wmgw__wmio_qual *q)
{
    return q->value.type == WMGW_CIM_BOOLEAN;
}

static bool is_string(const struct wmgw__wmio_qual *q)
{
    return q->value.type == WMGW_CIM_STRING && !q->value.null;
}

/* Qualifiers of a property or parameter into its declaration. */
static int apply_member_quals(const struct wmgw__wmio_prop *pr, struct wmgw_cim_propdecl *dc)
{
    for (size_t i = 0; i < pr->nquals; i++) {
        const struct wmgw__wmio_qual *q = &pr->quals[i];
        bool done = false;
        for (size_t k = 0; k < sizeof(member_flags) / sizeof(member_flags[0]) && !done; k++) {
            if (strcasecmp(q->name, member_flags[k].name) == 0 && is_bool(q)) {
                if (!q->value.null && q->value.u.b)
                    dc->flags |= member_flags[k].flag;
                else
                    dc->flags &= ~member_flags[k].flag;
                done = true;
            }
        }
        if (done || (strcasecmp(q->name, "CIMTYPE") == 0 && q->value.type == WMGW_CIM_STRING))
            continue; /* CIMTYPE became the type (layout) */
        if (strcasecmp(q->name, "Description") == 0 && is_string(q)) {
            free(dc->description);
            if ((dc->description = strdup(q->value.u.str)) == NULL)
                return WMGW_ENOMEM;
            continue;
        }
        struct wmgw_cim_value v;
        if (wmgw_cim_value_copy(&v, &q->value) != 0 || wmgw_cim_proplist_put(&dc->qualifiers, q->name, &v) != 0) {
            wmgw_cim_value_dispose(&v);
            return WMGW_ENOMEM;
        }
    }
    /* The model marks intervals with SubType("interval"); a CIMTYPE of
     * "interval" (not what Windows writes) says the same. */
    for (size_t i = 0; i < pr->nquals; i++) {
        const struct wmgw__wmio_qual *q = &pr->quals[i];
        if (strcasecmp(q->name, "CIMTYPE") == 0 && is_string(q) && strcasecmp(q->value.u.str, "interval") == 0 &&
            WMGW_CIM_BASETYPE(dc->type) == WMGW_CIM_DATETIME &&
            wmgw_cim_proplist_find(&dc->qualifiers, "SubType") == NULL) {
            struct wmgw_cim_value v;
            wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
            if ((v.u.str = strdup("interval")) == NULL)
                return WMGW_ENOMEM;
            v.null = false;
            if (wmgw_cim_proplist_put(&dc->qualifiers, "SubType", &v) != 0) {
                wmgw_cim_value_dispose(&v);
                return WMGW_ENOMEM;
            }
            break;
        }
    }
    return 0;
}

static int apply_class_quals(const struct wmgw__wmio_layout *l, struct wmgw_cim_class *c)
{
    for (size_t i = 0; i < l->nquals; i++) {
        const struct wmgw__wmio_qual *q = &l->quals[i];
        for (size_t k = 0; k < sizeof(class_flags) / sizeof(class_flags[0]); k++) {
            if (strcasecmp(q->name, class_flags[k].name) == 0 && is_bool(q)) {
                if (!q->value.null && q->value.u.b)
                    c->flags |= class_flags[k].flag;
                else
                    c->flags &= ~class_flags[k].flag;
            }
        }
        if (strcasecmp(q->name, "Description") == 0 && is_string(q)) {
            free(c->description);
            if ((c->description = strdup(q->value.u.str)) == NULL)
                return WMGW_ENOMEM;
        }
    }
    return 0;
}

int wmgw__wmio_class_build(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_layout *l, const char *ns,
                           struct wmgw_cim_class **out)
{
    *out = NULL;
    int rc = wmgw__wmio_charge(d, sizeof(struct wmgw_cim_class) + l->nprops * sizeof(struct wmgw_cim_propdecl),
                               l->part, "class");
    if (rc != 0)
        return rc;
    struct wmgw_cim_class *c = wmgw_cim_class_new(l->name ? l->name : "", ns);
    if (c == NULL)
        return WMGW_ENOMEM;
    if (l->nderiv > 0 && (c->superclass = strdup(l->deriv[0])) == NULL)
        rc = WMGW_ENOMEM;
    if (rc == 0)
        rc = apply_class_quals(l, c);
    if (rc == 0 && l->nprops > 0 && (c->props = calloc(l->nprops, sizeof(*c->props))) == NULL)
        rc = WMGW_ENOMEM;
    for (size_t i = 0; rc == 0 && i < l->nprops; i++) {
        const struct wmgw__wmio_prop *pr = &l->props[l->sorted[i]];
        struct wmgw_cim_propdecl *dc = &c->props[i];
        c->nprops++;
        dc->type = pr->type;
        wmgw_cim_value_init_null(&dc->default_value, pr->type);
        if ((dc->name = strdup(pr->name)) == NULL ||
            (pr->ref_class != NULL && (dc->ref_class = strdup(pr->ref_class)) == NULL)) {
            rc = WMGW_ENOMEM;
            break;
        }
        if ((rc = apply_member_quals(pr, dc)) != 0)
            break;
        /* A default unless the NdTable says NULL (2.2.27); an inherited
         * default is still in this class's ValueTable (Windows copies it). */
        if (!(wmgw__wmio_nd_bits(l->ndvt, pr->order) & WMGW__WMIO_ND_NULL))
            rc = wmgw__wmio_read_value(d, pr->type, l->ndvt + l->nd_len + pr->vt_off, &l->heap, pr->name,
                                       &dc->default_value);
    }
    if (rc != 0) {
        wmgw_cim_class_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* --- copies ----------------------------------------------------------------- */

static int decl_copy(struct wmgw_cim_propdecl *dst, const struct wmgw_cim_propdecl *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->type = src->type;
    dst->flags = src->flags;
    wmgw_cim_value_init_null(&dst->default_value, src->type);
    dst->name = strdup(src->name);
    dst->ref_class = wmgw_cim_strdup(src->ref_class);
    dst->description = wmgw_cim_strdup(src->description);
    if (dst->name == NULL || (src->ref_class && !dst->ref_class) || (src->description && !dst->description) ||
        wmgw_cim_value_copy(&dst->default_value, &src->default_value) != 0 ||
        wmgw_cim_proplist_copy(&dst->qualifiers, &src->qualifiers) != 0)
        return WMGW_ENOMEM;
    return 0;
}

struct wmgw_cim_class *wmgw__wmio_class_copy(const struct wmgw_cim_class *s)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new(s->name, s->namespace_);
    if (c == NULL)
        return NULL;
    c->flags = s->flags;
    bool ok = (s->superclass == NULL || (c->superclass = strdup(s->superclass)) != NULL) &&
              (s->description == NULL || (c->description = strdup(s->description)) != NULL);
    if (ok && s->nprops > 0)
        ok = (c->props = calloc(s->nprops, sizeof(*c->props))) != NULL;
    for (size_t i = 0; ok && i < s->nprops; i++, c->nprops++)
        ok = decl_copy(&c->props[i], &s->props[i]) == 0;
    if (ok && s->nmethods > 0)
        ok = (c->methods = calloc(s->nmethods, sizeof(*c->methods))) != NULL;
    for (size_t i = 0; ok && i < s->nmethods; i++) {
        const struct wmgw_cim_method *sm = &s->methods[i];
        struct wmgw_cim_method *m = &c->methods[i];
        c->nmethods++;
        m->return_type = sm->return_type;
        m->flags = sm->flags;
        ok = (m->name = strdup(sm->name)) != NULL;
        if (ok && sm->nparams > 0)
            ok = (m->params = calloc(sm->nparams, sizeof(*m->params))) != NULL;
        for (size_t k = 0; ok && k < sm->nparams; k++, m->nparams++)
            ok = decl_copy(&m->params[k], &sm->params[k]) == 0;
    }
    if (!ok) {
        wmgw_cim_class_free(c);
        return NULL;
    }
    return c;
}
