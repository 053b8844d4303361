/*
 * wmio_value.c: EncodedValues (MS-WMIO 2.2.71) and QualifierSets (2.2.59)
 * into CIM model values (wmio.h).
 *
 * A value is read from its slot: numbers and booleans inline, everything
 * else through a HeapRef into the heap of the block being decoded:
 * Encoded-Strings (strings, DMTF datetimes, WMI object paths, which become
 * struct wmgw_cim_ref), Encoded-Arrays (a count, then elements laid out as
 * slots), and embedded objects (ObjectEncodingLength + ObjectBlock,
 * decoded by wmio_object.c one level deeper).  Every array is checked to
 * fit its heap before anything is allocated, and everything allocated is
 * charged to the decode's budget.
 */
#include "translators/wmi/wmio_int.h"
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

/* One scalar of base type `type` from its slot.  In an array (elem) a NULL
 * string is "" and other NULL references are errors: the model's array
 * elements are never null. */
static int read_scalar(struct wmgw__wmio_dctx *d, uint16_t type, const uint8_t *slot, const struct wmgw__wmio_heap *h,
                       const char *what, bool elem, struct wmgw_cim_value *v)
{
    wmgw_cim_value_init_null(v, type);
    switch (type) {
    case WMGW_CIM_SINT8: v->u.s = (int8_t)slot[0]; break;
    case WMGW_CIM_UINT8: v->u.u = slot[0]; break;
    case WMGW_CIM_SINT16: v->u.s = (int16_t)wmgw__wmio_le16(slot); break;
    case WMGW_CIM_UINT16: v->u.u = wmgw__wmio_le16(slot); break;
    case WMGW_CIM_SINT32: v->u.s = (int32_t)wmgw__wmio_le32(slot); break;
    case WMGW_CIM_UINT32: v->u.u = wmgw__wmio_le32(slot); break;
    case WMGW_CIM_SINT64: v->u.s = (int64_t)wmgw__wmio_le64(slot); break;
    case WMGW_CIM_UINT64: v->u.u = wmgw__wmio_le64(slot); break;
    case WMGW_CIM_BOOLEAN: v->u.b = wmgw__wmio_le16(slot) != 0; break; /* TRUE is 0xFFFF; impacket sends 1 */
    case WMGW_CIM_CHAR16: v->u.c16 = wmgw__wmio_le16(slot); break;
    case WMGW_CIM_REAL32: {
        uint32_t bits = wmgw__wmio_le32(slot);
        float f;
        memcpy(&f, &bits, sizeof(f));
        v->u.r = f;
        break;
    }
    case WMGW_CIM_REAL64: {
        uint64_t bits = wmgw__wmio_le64(slot);
        memcpy(&v->u.r, &bits, sizeof(v->u.r));
        break;
    }
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME: case WMGW_CIM_REFERENCE: {
        uint32_t ref = wmgw__wmio_le32(slot);
        char *s = NULL;
        int rc = wmgw__wmio_heap_string(d, h, ref, what, &s);
        if (rc != 0)
            return rc;
        if (s == NULL && elem && type != WMGW_CIM_STRING)
            return wmgw__wmio_fail(d, slot, "%s: NULL element in an array of %s", what, wmgw_cim_type_name(type));
        if (s == NULL && elem && (s = strdup("")) == NULL)
            return WMGW_ENOMEM;
        if (s == NULL)
            return 0; /* a NULL reference: the value is NULL */
        if (type == WMGW_CIM_DATETIME && !wmgw_cim_dmtf_valid(s, strlen(s))) {
            rc = wmgw__wmio_fail(d, slot, "%s: \"%.40s\" is not a DMTF datetime", what, s);
            free(s);
            return rc;
        }
        if (type == WMGW_CIM_REFERENCE) {
            struct wmgw_err perr;
            wmgw_err_clear(&perr);
            size_t n = strlen(s);
            rc = wmgw__wmio_charge(d, 2 * n + 256, slot, what);
            if (rc == 0 && wmgw_cim_path_parse_wmi(s, n, &v->u.ref, &perr) != 0)
                rc = perr.code == WMGW_ENOMEM ? WMGW_ENOMEM
                                              : wmgw__wmio_fail(d, slot, "%s: reference \"%.60s\": %.120s", what, s,
                                                                perr.message);
            free(s);
            if (rc != 0)
                return rc;
        } else {
            v->u.str = s;
        }
        v->null = false;
        return 0;
    }
    case WMGW_CIM_OBJECT: {
        uint32_t ref = wmgw__wmio_le32(slot);
        if (ref == WMGW__WMIO_NULLREF) {
            if (elem)
                return wmgw__wmio_fail(d, slot, "%s: NULL element in an array of objects", what);
            return 0;
        }
        const uint8_t *item;
        int rc = wmgw__wmio_heap_item(d, h, ref, 4, what, &item);
        if (rc != 0)
            return rc;
        uint32_t len = wmgw__wmio_le32(item);
        if (len > h->len - ref - 4)
            return wmgw__wmio_fail(d, item, "%s: embedded object of %u bytes does not fit the %s", what, len, h->what);
        if ((rc = wmgw__wmio_embedded(d, item + 4, len, &v->u.obj)) != 0)
            return rc;
        break;
    }
    default:
        return wmgw__wmio_fail(d, slot, "%s: unknown CIM type %u", what, type);
    }
    v->null = false;
    return 0;
}

int wmgw__wmio_read_value(struct wmgw__wmio_dctx *d, uint16_t type, const uint8_t *slot,
                          const struct wmgw__wmio_heap *h, const char *what, struct wmgw_cim_value *v)
{
    if (!WMGW_CIM_IS_ARRAY(type))
        return read_scalar(d, type, slot, h, what, false, v);
    wmgw_cim_value_init_null(v, type);
    uint32_t ref = wmgw__wmio_le32(slot);
    if (ref == WMGW__WMIO_NULLREF)
        return 0;
    uint16_t base = WMGW_CIM_BASETYPE(type);
    size_t esize = wmgw__wmio_slot_size(base);
    const uint8_t *item;
    int rc = wmgw__wmio_heap_item(d, h, ref, 4, what, &item);
    if (rc != 0)
        return rc;
    uint32_t count = wmgw__wmio_le32(item);
    size_t room = h->len - ref - 4;
    if (esize == 0 || count > room / esize)
        return wmgw__wmio_fail(d, item, "%s: array of %u %s elements does not fit the %zu bytes left in the %s", what,
                               count, wmgw_cim_type_name(base), room, h->what);
    if ((rc = wmgw__wmio_charge(d, (size_t)count * sizeof(struct wmgw_cim_value), item, what)) != 0)
        return rc;
    struct wmgw_cim_value *el = calloc(count ? count : 1, sizeof(*el));
    if (el == NULL)
        return WMGW_ENOMEM;
    v->null = false;
    v->u.arr.v = el;
    v->u.arr.n = 0;
    for (uint32_t i = 0; i < count; i++) {
        if ((rc = read_scalar(d, base, item + 4 + (size_t)i * esize, h, what, true, &el[i])) != 0) {
            wmgw_cim_value_dispose(v);
            return rc;
        }
        v->u.arr.n++;
    }
    return 0;
}

void wmgw__wmio_quals_free(struct wmgw__wmio_qual *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(q[i].name);
        wmgw_cim_value_dispose(&q[i].value);
    }
    free(q);
}

int wmgw__wmio_read_quals(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail,
                          const struct wmgw__wmio_heap *h, const char *what, struct wmgw__wmio_qual **out,
                          size_t *n, size_t *used)
{
    *out = NULL;
    *n = 0;
    if (avail < 4)
        return wmgw__wmio_fail(d, p, "%s: QualifierSet runs past the end", what);
    uint32_t len = wmgw__wmio_le32(p);
    if (len < 4 || len > avail)
        return wmgw__wmio_fail(d, p, "%s: QualifierSet length %u outside 4..%zu", what, len, avail);
    struct wmgw__wmio_qual *q = NULL;
    size_t nq = 0, cap = 0, pos = 4;
    int rc = 0;
    while (rc == 0 && pos < len) {
        const uint8_t *at = p + pos;
        if (len - pos < 9) {
            rc = wmgw__wmio_fail(d, at, "%s: qualifier header runs past its set", what);
            break;
        }
        uint16_t type = (uint16_t)(wmgw__wmio_le32(at + 5) & 0xFFFF);
        size_t slot = wmgw__wmio_type_known(type) ? wmgw__wmio_slot_size(type) : 0;
        if (slot == 0) {
            rc = wmgw__wmio_fail(d, at, "%s: qualifier of unknown CIM type 0x%x", what, type);
            break;
        }
        if (len - pos - 9 < slot) {
            rc = wmgw__wmio_fail(d, at, "%s: qualifier value runs past its set", what);
            break;
        }
        if (nq >= WMGW_WMIO_MAX_MEMBERS) {
            rc = wmgw__wmio_fail(d, at, "%s: more than %d qualifiers", what, WMGW_WMIO_MAX_MEMBERS);
            break;
        }
        if (nq == cap) {
            cap = cap ? 2 * cap : 4;
            struct wmgw__wmio_qual *nqv = realloc(q, cap * sizeof(*q));
            if (nqv == NULL) {
                rc = WMGW_ENOMEM;
                break;
            }
            q = nqv;
        }
        if ((rc = wmgw__wmio_charge(d, sizeof(*q), at, what)) != 0)
            break;
        struct wmgw__wmio_qual *e = &q[nq];
        e->name = NULL;
        e->flavor = at[4];
        wmgw_cim_value_init_null(&e->value, type);
        nq++;
        if ((rc = wmgw__wmio_heap_string(d, h, wmgw__wmio_le32(at), what, &e->name)) != 0)
            break;
        if (e->name == NULL) {
            rc = wmgw__wmio_fail(d, at, "%s: qualifier without a name", what);
            break;
        }
        rc = wmgw__wmio_read_value(d, type, at + 9, h, e->name, &e->value);
        pos += 9 + slot;
    }
    if (rc != 0) {
        wmgw__wmio_quals_free(q, nq);
        return rc;
    }
    *out = q;
    *n = nq;
    if (used != NULL)
        *used = len;
    return 0;
}
