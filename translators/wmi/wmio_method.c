/*
 * wmio_method.c: a class's MethodsPart (MS-WMIO 2.2.38) into the model's
 * methods (wmio.h), keeping each method's signature class parts for the
 * cache so ExecMethod can send back the server's own __PARAMETERS part.
 *
 * Each MethodDescription names, in the method heap, the method's name, its
 * qualifiers (Static is the one the model keeps) and two signatures: an
 * ObjectEncodingLength + ObjectBlock of class __PARAMETERS (2.3.3), one for
 * the in-parameters and one for the out-parameters and ReturnValue.  The
 * signatures are decoded as classes one nesting level deeper; parameters
 * take their order from the ID qualifier, a parameter in both signatures
 * is one parameter with both In and Out, and ReturnValue's type is the
 * method's return type (none: void).
 */
#include "translators/wmi/wmio_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DESC_LEN 24 /* MethodDescription: name, flags, 3 padding, origin, qualifiers, in, out */

void wmgw__wmio_sigs_free(struct wmgw_wmio_sig *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].method);
        free(s[i].in_part);
        free(s[i].out_part);
    }
    free(s);
}

/* One signature: no signature (NULL ref or length 0) leaves *cls NULL. */
static int parse_sig(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_heap *h, uint32_t ref, const char *what,
                     struct wmgw_cim_class **cls, uint8_t **part, size_t *part_len)
{
    *cls = NULL;
    if (ref == WMGW__WMIO_NULLREF)
        return 0;
    const uint8_t *item;
    int rc = wmgw__wmio_heap_item(d, h, ref, 4, what, &item);
    if (rc != 0)
        return rc;
    uint32_t len = wmgw__wmio_le32(item);
    if (len == 0)
        return 0;
    if (len > h->len - ref - 4)
        return wmgw__wmio_fail(d, item, "%s: signature of %u bytes does not fit the method heap", what, len);
    if (d->depth >= WMGW_WMIO_MAX_DEPTH)
        return wmgw__wmio_fail(d, item, "%s: objects nested more than %d deep", what, WMGW_WMIO_MAX_DEPTH);
    struct wmgw_wmio_object o;
    struct wmgw__wmio_objinfo info;
    struct wmgw_wmio_decode_opts none = {0};
    d->depth++;
    rc = wmgw__wmio_object(d, item + 4, len, &none, &o, &info);
    d->depth--;
    if (rc != 0)
        return rc;
    if (o.cls == NULL) {
        wmgw_wmio_object_dispose(&o);
        return wmgw__wmio_fail(d, item, "%s: signature is not a class", what);
    }
    if (part != NULL) {
        if ((*part = malloc(info.cur_len)) == NULL) {
            wmgw_wmio_object_dispose(&o);
            return WMGW_ENOMEM;
        }
        memcpy(*part, info.cur_part, info.cur_len);
        *part_len = info.cur_len;
    }
    *cls = o.cls;
    o.cls = NULL;
    wmgw_wmio_object_dispose(&o);
    return 0;
}

/* A parameter with its ID qualifier taken out (-1: none). */
struct param {
    struct wmgw_cim_propdecl d;
    long long id;
};

static int cmp_params(const void *a, const void *b)
{
    const struct param *x = a, *y = b;
    /* Parameters without an ID go last. */
    long long ix = x->id < 0 ? INT64_MAX : x->id, iy = y->id < 0 ? INT64_MAX : y->id;
    if (ix != iy)
        return ix < iy ? -1 : 1;
    return strcasecmp(x->d.name, y->d.name);
}

static long long take_id(struct wmgw_cim_propdecl *pd)
{
    const struct wmgw_cim_prop *q = wmgw_cim_proplist_find(&pd->qualifiers, "ID");
    if (q == NULL || q->value.null || !wmgw_cim_type_is_integer(q->value.type) || WMGW_CIM_IS_ARRAY(q->value.type))
        return -1;
    long long id = wmgw_cim_type_is_signed(q->value.type) ? (long long)q->value.u.s
                                                           : (q->value.u.u > INT64_MAX ? -1 : (long long)q->value.u.u);
    wmgw_cim_proplist_remove(&pd->qualifiers, "ID");
    return id < 0 ? -1 : id;
}

/* The parameters of m from its two signature classes (taken apart). */
static int assemble(struct wmgw__wmio_dctx *d, const uint8_t *at, struct wmgw_cim_method *m,
                    struct wmgw_cim_class *in, struct wmgw_cim_class *out)
{
    size_t cap = (in ? in->nprops : 0) + (out ? out->nprops : 0), n = 0;
    struct param *ps = calloc(cap ? cap : 1, sizeof(*ps));
    if (ps == NULL)
        return WMGW_ENOMEM;
    int rc = 0;
    for (int dir = 0; dir < 2 && rc == 0; dir++) {
        struct wmgw_cim_class *sig = dir == 0 ? in : out;
        for (size_t i = 0; sig != NULL && i < sig->nprops && rc == 0; i++) {
            struct wmgw_cim_propdecl *pd = &sig->props[i];
            if (strcasecmp(pd->name, "ReturnValue") == 0) {
                /* The return value's name; no parameter may have it (2.3.3). */
                if (dir == 0) {
                    rc = wmgw__wmio_fail(d, at, "method %s: an in-parameter named ReturnValue", m->name);
                    break;
                }
                m->return_type = pd->type;
                continue;
            }
            struct param *same = NULL;
            for (size_t k = 0; k < n && same == NULL; k++)
                if (strcasecmp(ps[k].d.name, pd->name) == 0)
                    same = &ps[k];
            if (same != NULL) { /* in the in- and the out-signature: one parameter */
                if (same->d.type != pd->type)
                    rc = wmgw__wmio_fail(d, at, "method %s: parameter %s has different types in and out", m->name,
                                         pd->name);
                same->d.flags |= WMGW_CIM_Q_OUT;
                continue;
            }
            ps[n].d = *pd; /* moved: the signature class gives it up */
            memset(pd, 0, sizeof(*pd));
            ps[n].d.flags |= dir == 0 ? WMGW_CIM_Q_IN : WMGW_CIM_Q_OUT;
            ps[n].id = take_id(&ps[n].d);
            n++;
        }
    }
    if (rc == 0 && n > 0) {
        qsort(ps, n, sizeof(*ps), cmp_params);
        if ((m->params = calloc(n, sizeof(*m->params))) == NULL)
            rc = WMGW_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            m->params[m->nparams++] = ps[i].d;
        else
            wmgw_cim_propdecl_dispose(&ps[i].d);
    }
    free(ps);
    return rc;
}

static int parse_method(struct wmgw__wmio_dctx *d, const uint8_t *desc, const struct wmgw__wmio_heap *h,
                        struct wmgw_cim_class *cls, struct wmgw_wmio_sig *sig)
{
    char *name = NULL;
    int rc = wmgw__wmio_heap_string(d, h, wmgw__wmio_le32(desc), "method name", &name);
    if (rc != 0)
        return rc;
    if (name == NULL || name[0] == '\0' || wmgw_cim_class_method(cls, name) != NULL) {
        rc = wmgw__wmio_fail(d, desc, "method without a name, or two methods named %s", name ? name : "");
        free(name);
        return rc;
    }
    struct wmgw_cim_method *m = wmgw_cim_class_add_method(cls, name);
    sig->method = name;
    if (m == NULL)
        return WMGW_ENOMEM;
    uint32_t qref = wmgw__wmio_le32(desc + 12);
    if (qref != WMGW__WMIO_NULLREF) {
        const uint8_t *item;
        struct wmgw__wmio_qual *q = NULL;
        size_t nq = 0;
        if ((rc = wmgw__wmio_heap_item(d, h, qref, 4, name, &item)) != 0 ||
            (rc = wmgw__wmio_read_quals(d, item, h->len - qref, h, name, &q, &nq, NULL)) != 0)
            return rc;
        for (size_t i = 0; i < nq; i++) {
            if (strcasecmp(q[i].name, "Static") == 0 && q[i].value.type == WMGW_CIM_BOOLEAN) {
                if (!q[i].value.null && q[i].value.u.b)
                    m->flags |= WMGW_CIM_Q_STATIC;
                else
                    m->flags &= ~(unsigned)WMGW_CIM_Q_STATIC;
            }
        }
        wmgw__wmio_quals_free(q, nq);
    }
    struct wmgw_cim_class *in = NULL, *out = NULL;
    rc = parse_sig(d, h, wmgw__wmio_le32(desc + 16), name, &in, &sig->in_part, &sig->in_len);
    if (rc == 0)
        rc = parse_sig(d, h, wmgw__wmio_le32(desc + 20), name, &out, &sig->out_part, &sig->out_len);
    if (rc == 0)
        rc = assemble(d, desc, m, in, out);
    wmgw_cim_class_free(in);
    wmgw_cim_class_free(out);
    return rc;
}

int wmgw__wmio_methods_parse(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, struct wmgw_cim_class *cls,
                             struct wmgw_wmio_sig **sigs, size_t *nsigs, size_t *used)
{
    if (sigs != NULL) {
        *sigs = NULL;
        *nsigs = 0;
    }
    if (avail < 12)
        return wmgw__wmio_fail(d, p, "MethodsPart runs past the end");
    uint32_t len = wmgw__wmio_le32(p);
    if (len < 12 || len > avail)
        return wmgw__wmio_fail(d, p, "MethodsPart length %u outside 12..%zu", len, avail);
    uint16_t count = wmgw__wmio_le16(p + 4); /* the 2 octets after it are padding (random on Windows) */
    size_t descs = (size_t)count * DESC_LEN;
    if (count > WMGW_WMIO_MAX_MEMBERS || descs > len - 12)
        return wmgw__wmio_fail(d, p + 4, "MethodCount %u does not fit its MethodsPart", count);
    const uint8_t *hp = p + 8 + descs;
    struct wmgw__wmio_heap h = {hp + 4, wmgw__wmio_le32(hp) & 0x7FFFFFFFu, "method heap"};
    if (h.len > len - 8 - descs - 4)
        return wmgw__wmio_fail(d, hp, "MethodHeap length %zu does not fit its MethodsPart", h.len);
    if (used != NULL)
        *used = len;
    if (cls == NULL || count == 0)
        return 0;
    struct wmgw_wmio_sig *s = calloc(count, sizeof(*s));
    if (s == NULL)
        return WMGW_ENOMEM;
    int rc = wmgw__wmio_charge(d, count * (sizeof(*s) + sizeof(struct wmgw_cim_method)), p, "MethodsPart");
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = parse_method(d, p + 8 + i * DESC_LEN, &h, cls, &s[i]);
    if (rc != 0 || sigs == NULL) {
        wmgw__wmio_sigs_free(s, count);
        return rc;
    }
    *sigs = s;
    *nsigs = count;
    return 0;
}
