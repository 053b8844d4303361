/*
 * wmio_write_class.c: class parts, methods parts and class objects from
 * the model (wmio.h): what the simulator returns for GetObject of a class,
 * what an instance travels with when no server class part is at hand, and
 * the __PARAMETERS signatures of methods (MS-WMIO 2.3.3).
 *
 * The superclass chain comes from opts->lookup: it gives the
 * DerivationList, the ParentClass block, and which properties and methods
 * are inherited (PropertyType | 0x4000, NdTable bit 1, method flag 0x20,
 * ClassOfOrigin counted from the root as Windows counts it).  Declaration
 * order puts inherited properties first; the value table follows it.
 * Every property carries a CIMTYPE qualifier ("ref:X", "object:X",
 * "datetime"...) and the model's flags as boolean qualifiers; defaults go
 * in the value table, NoValue (0xFF bytes) where there is none.
 */
#include "translators/wmi/wmio_int.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The class and its superclasses, nearest first; `unresolved` is the first
 * superclass lookup could not give. */
struct chain {
    const struct wmgw_cim_class *c[WMGW_WMIO_MAX_DEPTH + 1];
    size_t n;
    const char *unresolved;
};

/* One property to write. */
struct pspec {
    const struct wmgw_cim_propdecl *d;
    uint16_t order;
    bool inherited;
    uint32_t origin;
    long id;          /* >= 0: an ID qualifier (parameters) */
    unsigned dirs;    /* WMGW_CIM_Q_IN / _OUT to write as in / out */
    size_t level, pos; /* where it was declared first: sorts declaration order */
};

struct partspec {
    const char *name; /* NULL: the empty ParentClass of a root class */
    const char *deriv[WMGW_WMIO_MAX_DEPTH + 1];
    size_t nderiv;
    unsigned flags;
    const char *description;
    size_t n;
    struct pspec *p;
};

static const struct wmgw_cim_value v_true = {.type = WMGW_CIM_BOOLEAN, .u.b = true};

static void resolve(struct wmgw__wmio_wctx *w, const struct wmgw_cim_class *cls, struct chain *ch)
{
    ch->c[0] = cls;
    ch->n = 1;
    ch->unresolved = NULL;
    while (ch->c[ch->n - 1]->superclass != NULL) {
        const char *sup = ch->c[ch->n - 1]->superclass;
        const struct wmgw_cim_class *s = NULL;
        if (w->opts->lookup != NULL && ch->n <= WMGW_WMIO_MAX_DEPTH)
            s = w->opts->lookup(w->opts->lookup_ctx, sup);
        for (size_t i = 0; s != NULL && i < ch->n; i++)
            if (s == ch->c[i] || (s->name && ch->c[i]->name && strcasecmp(s->name, ch->c[i]->name) == 0))
                s = NULL; /* a cycle */
        if (s == NULL || s->name == NULL) {
            ch->unresolved = sup;
            return;
        }
        ch->c[ch->n++] = s;
    }
}

static void chain_deriv(const struct chain *ch, size_t k, struct partspec *s)
{
    s->nderiv = 0;
    for (size_t i = k + 1; i < ch->n; i++)
        s->deriv[s->nderiv++] = ch->c[i]->name;
    if (ch->unresolved != NULL && s->nderiv <= WMGW_WMIO_MAX_DEPTH)
        s->deriv[s->nderiv++] = ch->unresolved;
}

static int cmp_decl_order(const void *a, const void *b)
{
    const struct pspec *x = a, *y = b;
    if (x->level != y->level)
        return x->level > y->level ? -1 : 1; /* the root's first */
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_lookup(const void *a, const void *b, void *ctx)
{
    const struct pspec *p = ctx;
    const char *x = p[*(const size_t *)a].d->name, *y = p[*(const size_t *)b].d->name;
    int c = strcasecmp(x, y);
    return c != 0 ? c : strcmp(x, y);
}

/* "ref:X", "object:X", "datetime"...: what WMI puts in CIMTYPE. */
static int cimtype_text(const struct wmgw_cim_propdecl *d, struct wmgw_buf *t)
{
    uint16_t base = WMGW_CIM_BASETYPE(d->type);
    if (base == WMGW_CIM_REFERENCE)
        return wmgw_buf_printf(t, "ref:%s", d->ref_class ? d->ref_class : "object");
    if (base == WMGW_CIM_OBJECT)
        return d->ref_class ? wmgw_buf_printf(t, "object:%s", d->ref_class) : wmgw_buf_addstr(t, "object");
    return wmgw_buf_addstr(t, wmgw_cim_type_name(base));
}

/* The qualifiers of one property, into qs (items into heap). */
static int prop_quals(struct wmgw__wmio_wctx *w, const struct pspec *ps, struct wmgw_buf *heap, struct wmgw_buf *qs)
{
    const struct wmgw_cim_propdecl *d = ps->d;
    uint8_t inh = ps->inherited ? WMGW__WMIO_FLAVOR_PROPAGATED : 0;
    size_t cap = 10 + d->qualifiers.n, n = 0;
    struct wmgw__wmio_wqual *q = calloc(cap, sizeof(*q));
    struct wmgw_buf ct;
    wmgw_buf_init(&ct, 1024);
    struct wmgw_cim_value ctv = {.type = WMGW_CIM_STRING}, desc = {.type = WMGW_CIM_STRING},
                          id = {.type = WMGW_CIM_SINT32, .u.s = ps->id};
    int rc = q == NULL ? WMGW_ENOMEM : cimtype_text(d, &ct);
    if (rc != 0) {
        free(q);
        wmgw_buf_dispose(&ct);
        return rc == WMGW_ENOMEM ? rc : wmgw__wmio_wfail(w, WMGW_EINVAL, "%s: class name too long", d->name);
    }
    ctv.u.str = ct.data;
    q[n++] = (struct wmgw__wmio_wqual){"CIMTYPE", (uint8_t)(0x03 | inh), &ctv};
    static const struct {
        const char *name;
        unsigned flag;
        uint8_t flavor;
    } flags[] = {{"key", WMGW_CIM_Q_KEY, 0x13}, {"read", WMGW_CIM_Q_READ, 0}, {"write", WMGW_CIM_Q_WRITE, 0},
                 {"Required", WMGW_CIM_Q_REQUIRED, 0x13}, {"in", WMGW_CIM_Q_IN, 0}, {"out", WMGW_CIM_Q_OUT, 0}};
    unsigned have = (d->flags & ~(unsigned)(WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT)) | ps->dirs;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (have & flags[i].flag)
            q[n++] = (struct wmgw__wmio_wqual){flags[i].name, (uint8_t)(flags[i].flavor | inh), &v_true};
    if (d->description != NULL) {
        desc.u.str = d->description;
        q[n++] = (struct wmgw__wmio_wqual){"Description", inh, &desc};
    }
    if (ps->id >= 0)
        q[n++] = (struct wmgw__wmio_wqual){"ID", 0x11, &id};
    for (size_t i = 0; i < d->qualifiers.n; i++)
        q[n++] = (struct wmgw__wmio_wqual){d->qualifiers.items[i].name, inh, &d->qualifiers.items[i].value};
    rc = wmgw__wmio_put_quals(w, heap, q, n, qs);
    free(q);
    wmgw_buf_dispose(&ct);
    return rc;
}

static int write_part(struct wmgw__wmio_wctx *w, const struct partspec *s, struct wmgw_buf *out)
{
    size_t n = s->n, nd_len = n ? (n - 1) / 4 + 1 : 0, vt_len = 0;
    size_t *lookup = calloc(n ? n : 1, sizeof(*lookup));
    uint32_t *vt_off = calloc(n ? n : 1, sizeof(*vt_off)), *refs = calloc(2 * n + 1, sizeof(*refs));
    struct wmgw_buf heap, qs, body;
    wmgw_buf_init(&heap, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&qs, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&body, WMGW_WMIO_MAX_OUTPUT);
    uint8_t *ndvt = NULL;
    int rc = lookup && vt_off && refs ? 0 : WMGW_ENOMEM;
    if (rc == 0 && n > WMGW_WMIO_MAX_MEMBERS)
        rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "%s: more than %d properties", s->name, WMGW_WMIO_MAX_MEMBERS);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        lookup[i] = i;
        const struct wmgw_cim_propdecl *d = s->p[i].d;
        if (d->name == NULL || d->name[0] == '\0' || !wmgw__wmio_type_known(d->type))
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "%s: a property without a name or of unknown type",
                                  s->name ? s->name : "class");
    }
    if (rc == 0)
        qsort_r(lookup, n, sizeof(*lookup), cmp_lookup, s->p);
    for (size_t i = 1; rc == 0 && i < n; i++)
        if (strcasecmp(s->p[lookup[i - 1]].d->name, s->p[lookup[i]].d->name) == 0)
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "two properties named %.80s", s->p[lookup[i]].d->name);
    /* ValueTable offsets in declaration order. */
    for (size_t o = 0; rc == 0 && o < n; o++)
        for (size_t i = 0; i < n; i++)
            if (s->p[i].order == o) {
                vt_off[i] = (uint32_t)vt_len;
                vt_len += wmgw__wmio_slot_size(s->p[i].d->type);
            }
    if (rc == 0 && (ndvt = malloc(nd_len + vt_len + 1)) == NULL)
        rc = WMGW_ENOMEM;
    if (rc == 0) {
        memset(ndvt, 0, nd_len);
        memset(ndvt + nd_len, WMGW__WMIO_NOVALUE_BYTE, vt_len);
    }
    uint32_t name_ref = WMGW__WMIO_NULLREF;
    if (rc == 0 && s->name != NULL)
        rc = wmgw__wmio_put_hstring(w, &heap, s->name, &name_ref); /* first: offset 0 */
    /* Class qualifiers. */
    static const struct {
        const char *name;
        unsigned flag;
    } cflags[] = {{"Association", WMGW_CIM_Q_ASSOCIATION}, {"Singleton", WMGW_CIM_Q_SINGLETON},
                  {"abstract", WMGW_CIM_Q_ABSTRACT},       {"SupportsCreate", WMGW_CIM_Q_SUPPORTS_CREATE},
                  {"SupportsUpdate", WMGW_CIM_Q_SUPPORTS_UPDATE}, {"SupportsDelete", WMGW_CIM_Q_SUPPORTS_DELETE}};
    struct wmgw__wmio_wqual cq[8];
    size_t ncq = 0;
    struct wmgw_cim_value desc = {.type = WMGW_CIM_STRING};
    for (size_t i = 0; i < sizeof(cflags) / sizeof(cflags[0]); i++)
        if (s->flags & cflags[i].flag)
            cq[ncq++] = (struct wmgw__wmio_wqual){cflags[i].name, 0, &v_true};
    if (s->description != NULL) {
        desc.u.str = (char *)s->description;
        cq[ncq++] = (struct wmgw__wmio_wqual){"Description", 0, &desc};
    }
    struct wmgw_buf cqs;
    wmgw_buf_init(&cqs, WMGW_WMIO_MAX_OUTPUT);
    if (rc == 0)
        rc = wmgw__wmio_put_quals(w, &heap, cq, ncq, &cqs);
    /* Properties: name, PropertyInfo (+ qualifiers), default. */
    for (size_t k = 0; rc == 0 && k < n; k++) {
        size_t i = lookup[k];
        const struct pspec *ps = &s->p[i];
        uint32_t nref = WMGW__WMIO_NULLREF;
        for (uint32_t j = 0; j < WMGW__WMIO_DICT_SIZE && nref == WMGW__WMIO_NULLREF; j++)
            if (strcmp(ps->d->name, wmgw__wmio_dict[j]) == 0)
                nref = WMGW__WMIO_DICT_BIT | j;
        if (nref == WMGW__WMIO_NULLREF)
            rc = wmgw__wmio_put_hstring(w, &heap, ps->d->name, &nref);
        wmgw_buf_reset(&qs);
        if (rc == 0)
            rc = prop_quals(w, ps, &heap, &qs);
        uint8_t info[14];
        wmgw__wmio_put32(info, (uint32_t)ps->d->type | (ps->inherited ? WMGW__WMIO_INHERITED : 0));
        wmgw__wmio_put16(info + 4, ps->order);
        wmgw__wmio_put32(info + 6, vt_off[i]);
        wmgw__wmio_put32(info + 10, ps->origin);
        refs[2 * k] = nref;
        refs[2 * k + 1] = (uint32_t)heap.len;
        if (rc == 0 && (rc = wmgw_buf_add(&heap, info, sizeof(info))) == 0)
            rc = wmgw_buf_add(&heap, qs.data, qs.len);
        unsigned bits = ps->inherited ? WMGW__WMIO_ND_DEFAULT : 0;
        if (rc == 0 && !ps->d->default_value.null)
            rc = wmgw__wmio_put_value(w, &heap, ps->d->type, &ps->d->default_value, ndvt + nd_len + vt_off[i]);
        else
            bits |= WMGW__WMIO_ND_NULL;
        if (rc == 0)
            ndvt[ps->order / 4] |= (uint8_t)(bits << (2 * (ps->order % 4)));
        rc = wmgw__wmio_in_member(w, rc, s->name, ps->d->name);
    }
    /* Header, DerivationList, qualifiers, lookup table, NdTable+ValueTable, heap. */
    if (rc == 0) {
        size_t dstart = body.len;
        rc = wmgw__wmio_add32(&body, 0);
        for (size_t i = 0; rc == 0 && i < s->nderiv; i++) {
            size_t before = body.len;
            rc = wmgw__wmio_add_estring(&body, s->deriv[i]);
            /* Its length in characters, flag and terminator included (2.2.18). */
            size_t bytes = body.len - before, chars = body.data[before] ? (bytes - 1) / 2 + 1 : bytes;
            if (rc == 0)
                rc = wmgw__wmio_add32(&body, (uint32_t)chars);
        }
        if (rc == 0)
            wmgw__wmio_put32((uint8_t *)body.data + dstart, (uint32_t)(body.len - dstart));
    }
    if (rc == 0)
        rc = wmgw_buf_add(&body, cqs.data, cqs.len);
    if (rc == 0)
        rc = wmgw__wmio_add32(&body, (uint32_t)n);
    for (size_t i = 0; rc == 0 && i < 2 * n; i++)
        rc = wmgw__wmio_add32(&body, refs[i]);
    if (rc == 0)
        rc = wmgw_buf_add(&body, ndvt, nd_len + vt_len);
    if (rc == 0)
        rc = wmgw__wmio_add32(&body, (uint32_t)heap.len | 0x80000000u);
    if (rc == 0)
        rc = wmgw_buf_add(&body, heap.data, heap.len);
    if (rc == 0) {
        uint8_t hdr[13] = {0};
        wmgw__wmio_put32(hdr, (uint32_t)(13 + body.len));
        wmgw__wmio_put32(hdr + 5, name_ref);
        wmgw__wmio_put32(hdr + 9, (uint32_t)(nd_len + vt_len));
        size_t start = out->len;
        if ((rc = wmgw_buf_add(out, hdr, sizeof(hdr))) == 0 && (rc = wmgw_buf_add(out, body.data, body.len)) != 0)
            out->len = start;
    }
    free(lookup);
    free(vt_off);
    free(refs);
    free(ndvt);
    wmgw_buf_dispose(&heap);
    wmgw_buf_dispose(&qs);
    wmgw_buf_dispose(&cqs);
    wmgw_buf_dispose(&body);
    if (rc == WMGW_ETOOBIG && (w->err == NULL || w->err->code != rc))
        rc = wmgw__wmio_wfail(w, rc, "class part larger than %u bytes", WMGW_WMIO_MAX_OUTPUT);
    return rc;
}

/* The deepest level in [k, n) declaring a property (or method) named name. */
static size_t defined_at(const struct chain *ch, size_t k, const char *name, bool method)
{
    size_t j = k;
    for (size_t i = k + 1; i < ch->n; i++)
        if (method ? wmgw_cim_class_method(ch->c[i], name) != NULL : wmgw_cim_class_prop(ch->c[i], name) != NULL)
            j = i;
    return j;
}

static size_t pos_in(const struct wmgw_cim_class *c, const char *name)
{
    for (size_t i = 0; i < c->nprops; i++)
        if (strcasecmp(c->props[i].name, name) == 0)
            return i;
    return 0;
}

/* The part spec of ch->c[k]; s->p is allocated. */
static int level_spec(const struct chain *ch, size_t k, struct partspec *s)
{
    const struct wmgw_cim_class *c = ch->c[k];
    memset(s, 0, sizeof(*s));
    s->name = c->name;
    s->flags = c->flags;
    s->description = c->description;
    chain_deriv(ch, k, s);
    s->n = c->nprops;
    if ((s->p = calloc(c->nprops ? c->nprops : 1, sizeof(*s->p))) == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < c->nprops; i++) {
        struct pspec *ps = &s->p[i];
        size_t j = defined_at(ch, k, c->props[i].name, false);
        ps->d = &c->props[i];
        ps->inherited = j > k;
        ps->origin = (uint32_t)(s->nderiv - (j - k));
        ps->id = -1;
        ps->dirs = c->props[i].flags & (WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT);
        ps->level = j;
        ps->pos = j > k ? pos_in(ch->c[j], c->props[i].name) : i;
    }
    /* Declaration order: the root's properties first. */
    struct pspec *sorted = malloc(sizeof(*sorted) * (c->nprops ? c->nprops : 1));
    if (sorted == NULL)
        return WMGW_ENOMEM;
    memcpy(sorted, s->p, sizeof(*sorted) * c->nprops);
    qsort(sorted, c->nprops, sizeof(*sorted), cmp_decl_order);
    for (size_t o = 0; o < c->nprops; o++)
        s->p[sorted[o].d - c->props].order = (uint16_t)o;
    free(sorted);
    return c->nprops > UINT16_MAX ? WMGW_EINVAL : 0;
}

int wmgw__wmio_class_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_class *cls, struct wmgw_buf *out)
{
    if (cls == NULL || cls->name == NULL || cls->name[0] == '\0')
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "a class without a name");
    struct chain ch;
    resolve(w, cls, &ch);
    struct partspec s;
    int rc = level_spec(&ch, 0, &s);
    if (rc == WMGW_EINVAL)
        rc = wmgw__wmio_wfail(w, rc, "%.80s: too many properties", cls->name);
    if (rc == 0)
        rc = write_part(w, &s, out);
    free(s.p);
    return rc;
}

int wmgw__wmio_sig_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_method *m, bool out_params,
                        struct wmgw_buf *out)
{
    struct partspec s;
    memset(&s, 0, sizeof(s));
    s.name = "__PARAMETERS";
    s.flags = WMGW_CIM_Q_ABSTRACT; /* 2.3.3 */
    if ((s.p = calloc(m->nparams + 1, sizeof(*s.p))) == NULL)
        return WMGW_ENOMEM;
    unsigned dir = out_params ? WMGW_CIM_Q_OUT : WMGW_CIM_Q_IN;
    for (size_t i = 0; i < m->nparams; i++) {
        unsigned f = m->params[i].flags & (WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT);
        if (f == 0)
            f = WMGW_CIM_Q_IN; /* neither: an input, as the JSON reader takes it */
        if (!(f & dir))
            continue;
        /* ID is the parameter's place in the whole signature (2.3.3). */
        s.p[s.n] = (struct pspec){.d = &m->params[i], .order = (uint16_t)s.n, .id = (long)i, .dirs = dir};
        s.n++;
    }
    struct wmgw_cim_propdecl rv;
    memset(&rv, 0, sizeof(rv));
    rv.name = "ReturnValue";
    rv.type = m->return_type;
    wmgw_cim_value_init_null(&rv.default_value, m->return_type);
    if (out_params && m->return_type != WMGW_CIM_NONE) {
        s.p[s.n] = (struct pspec){.d = &rv, .order = (uint16_t)s.n, .id = -1, .dirs = WMGW_CIM_Q_OUT};
        s.n++;
    }
    int rc = s.n == 0 ? 0 : write_part(w, &s, out); /* nothing: the method has no such signature */
    free(s.p);
    return rc;
}

/* An empty ClassPart (named, or not at all) with an empty MethodsPart. */
static int empty_class(struct wmgw__wmio_wctx *w, const char *name, struct wmgw_buf *out)
{
    struct partspec s;
    memset(&s, 0, sizeof(s));
    s.name = name;
    static const uint8_t no_methods[12] = {12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
    int rc = write_part(w, &s, out);
    return rc == 0 ? wmgw_buf_add(out, no_methods, sizeof(no_methods)) : rc;
}

/* ObjectEncodingLength + ObjectBlock of a signature class, or a 0 length. */
static int put_sig(struct wmgw__wmio_wctx *w, const struct wmgw_cim_method *m, bool out_params, struct wmgw_buf *heap,
                   uint32_t *ref)
{
    struct wmgw_buf part, block;
    wmgw_buf_init(&part, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&block, WMGW_WMIO_MAX_OUTPUT);
    static const uint8_t no_methods[12] = {12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
    int rc = wmgw__wmio_sig_part(w, m, out_params, &part);
    if (rc == 0 && part.len > 0) {
        rc = wmgw_buf_addc(&block, WMGW_WMIO_OBJ_CLASS);
        if (rc == 0)
            rc = empty_class(w, NULL, &block);
        if (rc == 0)
            rc = wmgw_buf_add(&block, part.data, part.len);
        if (rc == 0)
            rc = wmgw_buf_add(&block, no_methods, sizeof(no_methods));
    }
    *ref = (uint32_t)heap->len;
    if (rc == 0)
        rc = wmgw__wmio_add32(heap, (uint32_t)block.len);
    if (rc == 0)
        rc = wmgw_buf_add(heap, block.data, block.len);
    wmgw_buf_dispose(&part);
    wmgw_buf_dispose(&block);
    return rc;
}

/* The MethodsPart of ch->c[k]. */
static int methods_part(struct wmgw__wmio_wctx *w, const struct chain *ch, size_t k, struct wmgw_buf *out)
{
    const struct wmgw_cim_class *c = ch->c[k];
    if (c->nmethods > WMGW_WMIO_MAX_MEMBERS)
        return wmgw__wmio_wfail(w, WMGW_EINVAL, "%.80s: too many methods", c->name);
    struct partspec s;
    chain_deriv(ch, k, &s);
    struct wmgw_buf heap, descs, qs;
    wmgw_buf_init(&heap, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&descs, WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_init(&qs, WMGW_WMIO_MAX_OUTPUT);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->nmethods; i++) {
        const struct wmgw_cim_method *m = &c->methods[i];
        if (m->name == NULL || m->name[0] == '\0' || wmgw_cim_class_method(c, m->name) != m) {
            rc = wmgw__wmio_wfail(w, WMGW_EINVAL, "%.80s: a method without a name, or two with one", c->name);
            break;
        }
        size_t j = defined_at(ch, k, m->name, true);
        uint8_t d[24] = {0};
        uint32_t ref;
        rc = wmgw__wmio_put_hstring(w, &heap, m->name, &ref);
        wmgw__wmio_put32(d, ref);
        d[4] = j > k ? WMGW__WMIO_METHOD_INHERITED : 0;
        wmgw__wmio_put32(d + 8, (uint32_t)(s.nderiv - (j - k)));
        /* Always a qualifier set (impacket expects one), Static when static. */
        struct wmgw__wmio_wqual st = {"Static", 0, &v_true};
        wmgw_buf_reset(&qs);
        if (rc == 0)
            rc = wmgw__wmio_put_quals(w, &heap, &st, (m->flags & WMGW_CIM_Q_STATIC) ? 1 : 0, &qs);
        wmgw__wmio_put32(d + 12, (uint32_t)heap.len);
        if (rc == 0)
            rc = wmgw_buf_add(&heap, qs.data, qs.len);
        if (rc == 0 && (rc = put_sig(w, m, false, &heap, &ref)) == 0)
            wmgw__wmio_put32(d + 16, ref);
        if (rc == 0 && (rc = put_sig(w, m, true, &heap, &ref)) == 0)
            wmgw__wmio_put32(d + 20, ref);
        if (rc == 0)
            rc = wmgw_buf_add(&descs, d, sizeof(d));
    }
    size_t start = out->len;
    if (rc == 0)
        rc = wmgw__wmio_add32(out, (uint32_t)(8 + descs.len + 4 + heap.len));
    if (rc == 0)
        rc = wmgw__wmio_add16(out, (uint16_t)c->nmethods);
    if (rc == 0)
        rc = wmgw__wmio_add16(out, 0);
    if (rc == 0)
        rc = wmgw_buf_add(out, descs.data, descs.len);
    if (rc == 0)
        rc = wmgw__wmio_add32(out, (uint32_t)heap.len | 0x80000000u);
    if (rc == 0)
        rc = wmgw_buf_add(out, heap.data, heap.len);
    if (rc != 0)
        out->len = start;
    wmgw_buf_dispose(&heap);
    wmgw_buf_dispose(&descs);
    wmgw_buf_dispose(&qs);
    return rc;
}

/* ClassPart and MethodsPart of ch->c[k]. */
static int class_and_methods(struct wmgw__wmio_wctx *w, const struct chain *ch, size_t k, struct wmgw_buf *out)
{
    struct partspec s;
    int rc = level_spec(ch, k, &s);
    if (rc == WMGW_EINVAL)
        rc = wmgw__wmio_wfail(w, rc, "%.80s: too many properties", ch->c[k]->name);
    if (rc == 0)
        rc = write_part(w, &s, out);
    free(s.p);
    return rc == 0 ? methods_part(w, ch, k, out) : rc;
}

int wmgw_wmio_encode_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls,
                           const struct wmgw_wmio_encode_opts *opts, struct wmgw_err *err)
{
    static const struct wmgw_wmio_encode_opts none;
    struct wmgw__wmio_wctx w = {err, opts ? opts : &none, 0};
    if (cls == NULL || cls->name == NULL || cls->name[0] == '\0')
        return wmgw__wmio_wfail(&w, WMGW_EINVAL, "a class without a name");
    struct chain ch;
    resolve(&w, cls, &ch);
    struct wmgw_buf block;
    wmgw_buf_init(&block, WMGW_WMIO_MAX_OUTPUT);
    bool deco = wmgw__wmio_decorated(w.opts);
    int rc = wmgw_buf_addc(&block, (char)(WMGW_WMIO_OBJ_CLASS | (deco ? WMGW_WMIO_OBJ_DECORATED : 0)));
    if (rc == 0 && deco)
        rc = wmgw__wmio_put_decoration(&w, &block);
    /* ParentClass: the superclass as it is, or a stand-in when unknown. */
    if (rc == 0)
        rc = ch.n > 1 ? class_and_methods(&w, &ch, 1, &block) : empty_class(&w, ch.unresolved, &block);
    if (rc == 0)
        rc = class_and_methods(&w, &ch, 0, &block);
    if (rc == 0)
        rc = wmgw__wmio_finish_unit(&w, out, &block);
    else if (rc == WMGW_ETOOBIG && (err == NULL || err->code != rc))
        rc = wmgw__wmio_wfail(&w, rc, "class object larger than %u bytes", WMGW_WMIO_MAX_OUTPUT);
    wmgw_buf_dispose(&block);
    return rc;
}

int wmgw__wmio_embedded_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_instance *inst, struct wmgw_buf *own,
                             const uint8_t **part, size_t *part_len)
{
    const struct wmgw_wmio_class_entry *e =
        w->opts->cache ? wmgw_wmio_class_cache_find(w->opts->cache, inst->class_name) : NULL;
    if (e != NULL) {
        *part = e->part;
        *part_len = e->part_len;
        return 0;
    }
    const struct wmgw_cim_class *cls = w->opts->lookup ? w->opts->lookup(w->opts->lookup_ctx, inst->class_name) : NULL;
    struct wmgw_cim_class *made = NULL;
    if (cls == NULL) {
        /* No schema at hand: a class of the instance's own properties. */
        if ((made = wmgw_cim_class_new(inst->class_name, NULL)) == NULL)
            return WMGW_ENOMEM;
        for (size_t i = 0; i < inst->props.n; i++) {
            if (wmgw_cim_class_add_prop(made, inst->props.items[i].name, inst->props.items[i].value.type) == NULL) {
                wmgw_cim_class_free(made);
                return WMGW_ENOMEM;
            }
        }
        cls = made;
    }
    int rc = wmgw__wmio_class_part(w, cls, own);
    wmgw_cim_class_free(made);
    *part = (const uint8_t *)own->data;
    *part_len = own->len;
    return rc;
}
