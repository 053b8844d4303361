/*
 * ndr_dcom.c: DCOM types over NDR and as OBJREF bytes.  See ndr_dcom.h.
 * Layouts: MS-DCOM 2.2.13 (ORPCTHIS, ORPCTHAT, ORPC_EXTENT(_ARRAY)),
 * 2.2.14 (MInterfacePointer), 2.2.18 (OBJREF, STDOBJREF), 2.2.19
 * (DUALSTRINGARRAY, STRINGBINDING, SECURITYBINDING).
 */
#include "translators/wmi/ndr_dcom.h"

#include <string.h>

/* ---- ORPC extensions ---- */

/* The [unique] ORPC_EXTENT_ARRAY *extensions pointee (MS-DCOM 2.2.13.2):
 * size, reserved, a pointer to (size+1)&~1 extent pointers (the odd one out
 * NULL), then each ORPC_EXTENT with its data rounded up to 8. */
static int put_extents(struct wmgw_ndr_writer *w, uint32_t n, const struct wmgw_ndr_extent *ext)
{
    static const uint8_t zero[8];
    if (n > WMGW_NDR_MAX_EXTENTS) {
        if (w->rc == 0)
            w->rc = wmgw_err_set(w->err, WMGW_EINVAL, "ORPC extensions: %u (at most %d)", n, WMGW_NDR_MAX_EXTENTS);
        return w->rc;
    }
    wmgw_ndr_put_u32(w, n);
    wmgw_ndr_put_u32(w, 0);
    wmgw_ndr_put_unique(w, n > 0);
    if (n == 0)
        return w->rc;
    uint32_t slots = (n + 1) & ~1u;
    wmgw_ndr_put_conformance(w, slots);
    for (uint32_t i = 0; i < slots; i++)
        wmgw_ndr_put_unique(w, i < n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t rounded = (ext[i].size + 7) & ~7u;
        wmgw_ndr_put_conformance(w, rounded);
        wmgw_ndr_put_uuid(w, &ext[i].id);
        wmgw_ndr_put_u32(w, ext[i].size);
        wmgw_ndr_put_bytes(w, ext[i].data, ext[i].size);
        wmgw_ndr_put_bytes(w, zero, rounded - ext[i].size);
    }
    return w->rc;
}

static int get_extents(struct wmgw_ndr_reader *r, uint32_t *n, struct wmgw_ndr_extent *ext)
{
    uint32_t size, reserved, slots;
    bool present;
    *n = 0;
    if (wmgw_ndr_enter(r, "ORPC_EXTENT_ARRAY"))
        return r->rc;
    wmgw_ndr_get_u32(r, &size, "ORPC_EXTENT_ARRAY.size");
    wmgw_ndr_get_u32(r, &reserved, "ORPC_EXTENT_ARRAY.reserved");
    if (wmgw_ndr_get_unique(r, &present, "ORPC_EXTENT_ARRAY.extent"))
        return r->rc;
    if (size > WMGW_NDR_MAX_EXTENTS)
        return wmgw_ndr_fail(r, "ORPC_EXTENT_ARRAY.size", "%u extensions (at most %d)", size, WMGW_NDR_MAX_EXTENTS);
    if (!present) {
        if (size != 0)
            return wmgw_ndr_fail(r, "ORPC_EXTENT_ARRAY.extent", "NULL with size %u", size);
        wmgw_ndr_leave(r);
        return 0;
    }
    if (wmgw_ndr_get_conformance(r, &slots, 2 * WMGW_NDR_MAX_EXTENTS, 4, "ORPC_EXTENT_ARRAY.extent"))
        return r->rc;
    if (slots != ((size + 1) & ~1u))
        return wmgw_ndr_fail(r, "ORPC_EXTENT_ARRAY.extent", "max_count %u for size %u", slots, size);
    bool nonnull[2 * WMGW_NDR_MAX_EXTENTS];
    uint32_t count = 0;
    for (uint32_t i = 0; i < slots; i++) {
        if (wmgw_ndr_get_unique(r, &nonnull[i], "ORPC_EXTENT_ARRAY.extent[]"))
            return r->rc;
        count += nonnull[i];
    }
    if (count != size)
        return wmgw_ndr_fail(r, "ORPC_EXTENT_ARRAY.size", "%u, but %u non-NULL extents", size, count);
    for (uint32_t i = 0; i < slots; i++) {
        if (!nonnull[i])
            continue;
        struct wmgw_ndr_extent *e = &ext[(*n)++];
        uint32_t rounded;
        wmgw_ndr_get_conformance(r, &rounded, WMGW_NDR_MAX_MIP, 1, "ORPC_EXTENT.data");
        wmgw_ndr_get_uuid(r, &e->id, "ORPC_EXTENT.id");
        if (wmgw_ndr_get_u32(r, &e->size, "ORPC_EXTENT.size"))
            return r->rc;
        if (rounded != ((e->size + 7) & ~7u) || e->size > rounded)
            return wmgw_ndr_fail(r, "ORPC_EXTENT.size", "%u with max_count %u", e->size, rounded);
        if (wmgw_ndr_get_bytes(r, &e->data, rounded, "ORPC_EXTENT.data"))
            return r->rc;
    }
    wmgw_ndr_leave(r);
    return 0;
}

int wmgw_ndr_put_orpcthis(struct wmgw_ndr_writer *w, const struct wmgw_ndr_orpcthis *t)
{
    wmgw_ndr_put_u16(w, t->major);
    wmgw_ndr_put_u16(w, t->minor);
    wmgw_ndr_put_u32(w, t->flags);
    wmgw_ndr_put_u32(w, t->reserved1);
    wmgw_ndr_put_uuid(w, &t->cid);
    wmgw_ndr_put_unique(w, t->has_extensions);
    return t->has_extensions ? put_extents(w, t->n_ext, t->ext) : w->rc;
}

int wmgw_ndr_get_orpcthis(struct wmgw_ndr_reader *r, struct wmgw_ndr_orpcthis *t)
{
    memset(t, 0, sizeof(*t));
    wmgw_ndr_get_u16(r, &t->major, "ORPCTHIS.version.MajorVersion");
    wmgw_ndr_get_u16(r, &t->minor, "ORPCTHIS.version.MinorVersion");
    wmgw_ndr_get_u32(r, &t->flags, "ORPCTHIS.flags");
    wmgw_ndr_get_u32(r, &t->reserved1, "ORPCTHIS.reserved1");
    wmgw_ndr_get_uuid(r, &t->cid, "ORPCTHIS.cid");
    if (wmgw_ndr_get_unique(r, &t->has_extensions, "ORPCTHIS.extensions") || !t->has_extensions)
        return r->rc;
    return get_extents(r, &t->n_ext, t->ext);
}

int wmgw_ndr_put_orpcthat(struct wmgw_ndr_writer *w, const struct wmgw_ndr_orpcthat *t)
{
    wmgw_ndr_put_u32(w, t->flags);
    wmgw_ndr_put_unique(w, t->has_extensions);
    return t->has_extensions ? put_extents(w, t->n_ext, t->ext) : w->rc;
}

int wmgw_ndr_get_orpcthat(struct wmgw_ndr_reader *r, struct wmgw_ndr_orpcthat *t)
{
    memset(t, 0, sizeof(*t));
    wmgw_ndr_get_u32(r, &t->flags, "ORPCTHAT.flags");
    if (wmgw_ndr_get_unique(r, &t->has_extensions, "ORPCTHAT.extensions") || !t->has_extensions)
        return r->rc;
    return get_extents(r, &t->n_ext, t->ext);
}

/* ---- MInterfacePointer, STDOBJREF ---- */

int wmgw_ndr_put_mip(struct wmgw_ndr_writer *w, const uint8_t *objref, size_t len)
{
    if (len > WMGW_NDR_MAX_MIP && w->rc == 0)
        w->rc = wmgw_err_set(w->err, WMGW_ETOOBIG, "MInterfacePointer of %zu bytes", len);
    wmgw_ndr_put_conformance(w, (uint32_t)len);
    wmgw_ndr_put_u32(w, (uint32_t)len);
    return wmgw_ndr_put_bytes(w, objref, len);
}

int wmgw_ndr_put_pmip(struct wmgw_ndr_writer *w, const uint8_t *objref, size_t len)
{
    wmgw_ndr_put_unique(w, objref != NULL);
    return objref ? wmgw_ndr_put_mip(w, objref, len) : w->rc;
}

int wmgw_ndr_get_mip(struct wmgw_ndr_reader *r, const uint8_t **objref, size_t *len)
{
    uint32_t max, cnt;
    *objref = NULL;
    *len = 0;
    wmgw_ndr_get_conformance(r, &max, WMGW_NDR_MAX_MIP, 1, "MInterfacePointer.abData");
    if (wmgw_ndr_get_u32(r, &cnt, "MInterfacePointer.ulCntData"))
        return r->rc;
    if (cnt != max)
        return wmgw_ndr_fail(r, "MInterfacePointer.ulCntData", "%u but max_count %u", cnt, max);
    if (wmgw_ndr_get_bytes(r, objref, cnt, "MInterfacePointer.abData") == 0)
        *len = cnt;
    return r->rc;
}

int wmgw_ndr_get_pmip(struct wmgw_ndr_reader *r, const uint8_t **objref, size_t *len, bool *present)
{
    *objref = NULL;
    *len = 0;
    if (wmgw_ndr_get_unique(r, present, "PMInterfacePointer") || !*present)
        return r->rc;
    return wmgw_ndr_get_mip(r, objref, len);
}

int wmgw_ndr_put_stdobjref(struct wmgw_ndr_writer *w, const struct wmgw_ndr_stdobjref *s)
{
    wmgw_ndr_align(w, 8); /* the structure holds hypers */
    wmgw_ndr_put_u32(w, s->flags);
    wmgw_ndr_put_u32(w, s->public_refs);
    wmgw_ndr_put_u64(w, s->oxid);
    wmgw_ndr_put_u64(w, s->oid);
    return wmgw_ndr_put_uuid(w, &s->ipid);
}

int wmgw_ndr_get_stdobjref(struct wmgw_ndr_reader *r, struct wmgw_ndr_stdobjref *s)
{
    wmgw_ndr_skip_align(r, 8, "STDOBJREF");
    wmgw_ndr_get_u32(r, &s->flags, "STDOBJREF.flags");
    wmgw_ndr_get_u32(r, &s->public_refs, "STDOBJREF.cPublicRefs");
    wmgw_ndr_get_u64(r, &s->oxid, "STDOBJREF.oxid");
    wmgw_ndr_get_u64(r, &s->oid, "STDOBJREF.oid");
    return wmgw_ndr_get_uuid(r, &s->ipid, "STDOBJREF.ipid");
}

/* ---- DUALSTRINGARRAY ---- */

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* One section of entries: [id, (reserved,) UTF-16 string, 0]... then a 0
 * terminator; an empty section is two zeros (MS-DCOM 2.2.19.1). */
static int pack_section(struct wmgw_buf *out, size_t n, bool security, const struct wmgw_ndr_dsa *d)
{
    int rc = 0;
    uint8_t z[4] = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint8_t h[4];
        const char *s = security ? d->security[i].princ : d->strings[i].addr;
        uint16_t id = security ? d->security[i].authn_svc : d->strings[i].tower_id;
        if (id == 0)
            return WMGW_EINVAL; /* 0 would end the section early */
        le16(h, id);
        le16(h + 2, 0xFFFF); /* SECURITYBINDING.Reserved */
        size_t units;
        rc = wmgw_buf_add(out, h, security ? 4 : 2);
        rc = rc ? rc : wmgw_ndr_utf8_to_utf16(s, strnlen(s, WMGW_NDR_MAX_ADDR), out, &units);
        rc = rc ? rc : wmgw_buf_add(out, z, 2);
    }
    return rc ? rc : wmgw_buf_add(out, z, n == 0 ? 4 : 2);
}

/* The entries alone (no header) into out; *sec_offset in 16-bit units. */
static int pack_entries(const struct wmgw_ndr_dsa *d, struct wmgw_buf *out, uint16_t *num, uint16_t *sec_offset,
                        struct wmgw_err *err)
{
    size_t start = out->len;
    if (d->n_strings > WMGW_NDR_MAX_BINDINGS || d->n_security > WMGW_NDR_MAX_BINDINGS)
        return wmgw_err_set(err, WMGW_EINVAL, "DUALSTRINGARRAY: too many bindings");
    int rc = pack_section(out, d->n_strings, false, d);
    size_t mid = out->len;
    rc = rc ? rc : pack_section(out, d->n_security, true, d);
    if (rc == 0 && (out->len - start) / 2 > WMGW_NDR_MAX_DSA)
        rc = WMGW_ETOOBIG;
    if (rc != 0)
        return wmgw_err_set(err, rc, "DUALSTRINGARRAY: cannot encode (a binding id of 0, bad UTF-8 or too long)");
    *num = (uint16_t)((out->len - start) / 2);
    *sec_offset = (uint16_t)((mid - start) / 2);
    return 0;
}

int wmgw_ndr_dsa_pack(const struct wmgw_ndr_dsa *d, struct wmgw_buf *out, struct wmgw_err *err)
{
    size_t start = out->len;
    uint8_t h[4] = {0};
    uint16_t num, sec;
    int rc = wmgw_buf_add(out, h, 4);
    rc = rc ? wmgw_err_set(err, rc, "DUALSTRINGARRAY: output full") : pack_entries(d, out, &num, &sec, err);
    if (rc != 0) {
        out->len = start;
        return rc;
    }
    le16((uint8_t *)out->data + start, num);
    le16((uint8_t *)out->data + start + 2, sec);
    return 0;
}

/* Reads one NUL-terminated UTF-16 string from entries [*i, end) into dst. */
static int unpack_string(const uint8_t *e, size_t *i, size_t end, char *dst, const char *field, struct wmgw_err *err)
{
    size_t j = *i;
    while (j < end && rd16(e + 2 * j) != 0)
        j++;
    if (j == end)
        return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY %s: not NUL-terminated in its section", field);
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_NDR_MAX_ADDR - 1);
    int rc = wmgw_ndr_utf16_to_utf8(e + 2 * *i, j - *i, &b);
    if (rc == 0 && dst != NULL) {
        if (b.len)
            memcpy(dst, b.data, b.len);
        dst[b.len] = '\0';
    }
    wmgw_buf_dispose(&b);
    if (rc != 0)
        return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY %s: longer than %d bytes", field,
                            WMGW_NDR_MAX_ADDR - 1);
    *i = j + 1;
    return 0;
}

static int unpack_entries(const uint8_t *e, uint16_t num, uint16_t sec, struct wmgw_ndr_dsa *d, struct wmgw_err *err)
{
    memset(d, 0, sizeof(*d));
    if (sec > num)
        return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY wSecurityOffset %u exceeds wNumEntries %u", sec, num);
    int rc = 0;
    size_t i = 0;
    while (rc == 0) { /* string bindings in [0, sec) */
        if (i >= sec)
            return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY: string bindings not terminated");
        uint16_t tower = rd16(e + 2 * i++);
        if (tower == 0)
            break;
        struct wmgw_ndr_stringbinding *s = d->n_strings < WMGW_NDR_MAX_BINDINGS ? &d->strings[d->n_strings++] : NULL;
        if (s)
            s->tower_id = tower;
        rc = unpack_string(e, &i, sec, s ? s->addr : NULL, "aNetworkAddr", err);
    }
    i = sec;
    while (rc == 0) { /* security bindings in [sec, num) */
        if (i >= num)
            return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY: security bindings not terminated");
        uint16_t svc = rd16(e + 2 * i++);
        if (svc == 0)
            break;
        if (i >= num)
            return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY: SECURITYBINDING.Reserved missing");
        struct wmgw_ndr_secbinding *s = d->n_security < WMGW_NDR_MAX_BINDINGS ? &d->security[d->n_security++] : NULL;
        if (s) {
            s->authn_svc = svc;
            s->reserved = rd16(e + 2 * i);
        }
        i++;
        rc = unpack_string(e, &i, num, s ? s->princ : NULL, "aPrincName", err);
    }
    return rc;
}

int wmgw_ndr_dsa_unpack(const uint8_t *p, size_t len, struct wmgw_ndr_dsa *d, size_t *used, struct wmgw_err *err)
{
    if (len < 4)
        return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY header truncated (%zu bytes)", len);
    uint16_t num = rd16(p), sec = rd16(p + 2);
    if ((size_t)num * 2 > len - 4)
        return wmgw_err_set(err, WMGW_EPROTO, "DUALSTRINGARRAY wNumEntries %u exceeds the %zu bytes left", num,
                            len - 4);
    int rc = unpack_entries(p + 4, num, sec, d, err);
    if (rc == 0 && used != NULL)
        *used = 4 + (size_t)num * 2;
    return rc;
}

int wmgw_ndr_put_dsa(struct wmgw_ndr_writer *w, const struct wmgw_ndr_dsa *d)
{
    struct wmgw_buf tmp;
    uint16_t num = 0, sec = 0;
    wmgw_buf_init(&tmp, 2 * WMGW_NDR_MAX_DSA);
    if (w->rc == 0) {
        int rc = pack_entries(d, &tmp, &num, &sec, w->err);
        if (rc != 0)
            w->rc = rc;
    }
    wmgw_ndr_put_conformance(w, num);
    wmgw_ndr_put_u16(w, num);
    wmgw_ndr_put_u16(w, sec);
    wmgw_ndr_put_bytes(w, tmp.data, tmp.len);
    wmgw_buf_dispose(&tmp);
    return w->rc;
}

int wmgw_ndr_get_dsa(struct wmgw_ndr_reader *r, struct wmgw_ndr_dsa *d)
{
    uint32_t max;
    uint16_t num, sec;
    const uint8_t *e;
    memset(d, 0, sizeof(*d));
    wmgw_ndr_get_conformance(r, &max, WMGW_NDR_MAX_DSA, 2, "DUALSTRINGARRAY.aStringArray");
    wmgw_ndr_get_u16(r, &num, "DUALSTRINGARRAY.wNumEntries");
    if (wmgw_ndr_get_u16(r, &sec, "DUALSTRINGARRAY.wSecurityOffset"))
        return r->rc;
    if (max != num)
        return wmgw_ndr_fail(r, "DUALSTRINGARRAY.wNumEntries", "%u but max_count %u", num, max);
    if (wmgw_ndr_get_bytes(r, &e, (size_t)num * 2, "DUALSTRINGARRAY.aStringArray"))
        return r->rc;
    struct wmgw_err e2;
    wmgw_err_clear(&e2);
    if (unpack_entries(e, num, sec, d, &e2) != 0)
        return wmgw_ndr_fail(r, "DUALSTRINGARRAY", "%s", e2.message);
    return 0;
}

/* ---- OBJREF ---- */

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static void std_pack(uint8_t b[40], const struct wmgw_ndr_stdobjref *s)
{
    le32(b, s->flags);
    le32(b + 4, s->public_refs);
    le32(b + 8, (uint32_t)s->oxid);
    le32(b + 12, (uint32_t)(s->oxid >> 32));
    le32(b + 16, (uint32_t)s->oid);
    le32(b + 20, (uint32_t)(s->oid >> 32));
    memcpy(b + 24, s->ipid.b, 16);
}

static void std_unpack(const uint8_t *b, struct wmgw_ndr_stdobjref *s)
{
    s->flags = rd32(b);
    s->public_refs = rd32(b + 4);
    s->oxid = rd32(b + 8) | (uint64_t)rd32(b + 12) << 32;
    s->oid = rd32(b + 16) | (uint64_t)rd32(b + 20) << 32;
    memcpy(s->ipid.b, b + 24, 16);
}

int wmgw_ndr_objref_encode(const struct wmgw_ndr_objref *o, struct wmgw_buf *out, struct wmgw_err *err)
{
    size_t start = out->len;
    uint8_t b[64];
    le32(b, WMGW_NDR_OBJREF_SIGNATURE);
    le32(b + 4, o->flags);
    memcpy(b + 8, o->iid.b, 16);
    int rc = wmgw_buf_add(out, b, 24);
    switch (o->flags) {
    case WMGW_NDR_OBJREF_STANDARD:
    case WMGW_NDR_OBJREF_HANDLER:
        std_pack(b, &o->std);
        rc = rc ? rc : wmgw_buf_add(out, b, 40);
        if (o->flags == WMGW_NDR_OBJREF_HANDLER)
            rc = rc ? rc : wmgw_buf_add(out, o->clsid.b, 16);
        if (rc == 0 && (rc = wmgw_ndr_dsa_pack(&o->resolver, out, err)) != 0) {
            out->len = start;
            return rc;
        }
        break;
    case WMGW_NDR_OBJREF_CUSTOM:
        memcpy(b, o->clsid.b, 16);
        le32(b + 16, o->cb_extension);
        le32(b + 20, o->reserved);
        rc = rc ? rc : wmgw_buf_add(out, b, 24);
        if (rc == 0 && o->object_len > 0)
            rc = wmgw_buf_add(out, o->object_data, o->object_len);
        break;
    default:
        out->len = start;
        return wmgw_err_set(err, WMGW_EINVAL, "OBJREF flags 0x%x cannot be encoded", o->flags);
    }
    if (rc != 0) {
        out->len = start;
        return wmgw_err_set(err, rc, "OBJREF: output full");
    }
    return 0;
}

int wmgw_ndr_objref_decode(const uint8_t *p, size_t len, struct wmgw_ndr_objref *o, struct wmgw_err *err)
{
    memset(o, 0, sizeof(*o));
    if (len < 24)
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF truncated: %zu bytes", len);
    if (rd32(p) != WMGW_NDR_OBJREF_SIGNATURE)
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF signature 0x%08x is not MEOW", rd32(p));
    o->flags = rd32(p + 4);
    memcpy(o->iid.b, p + 8, 16);
    p += 24;
    len -= 24;
    switch (o->flags) {
    case WMGW_NDR_OBJREF_STANDARD:
    case WMGW_NDR_OBJREF_HANDLER: {
        size_t fixed = o->flags == WMGW_NDR_OBJREF_HANDLER ? 56 : 40;
        if (len < fixed)
            return wmgw_err_set(err, WMGW_EPROTO, "OBJREF std truncated: %zu bytes", len);
        std_unpack(p, &o->std);
        if (o->flags == WMGW_NDR_OBJREF_HANDLER)
            memcpy(o->clsid.b, p + 40, 16);
        return wmgw_ndr_dsa_unpack(p + fixed, len - fixed, &o->resolver, NULL, err);
    }
    case WMGW_NDR_OBJREF_CUSTOM:
        if (len < 24)
            return wmgw_err_set(err, WMGW_EPROTO, "OBJREF_CUSTOM truncated: %zu bytes", len);
        memcpy(o->clsid.b, p, 16);
        o->cb_extension = rd32(p + 16);
        o->reserved = rd32(p + 20);
        o->object_data = p + 24;
        o->object_len = len - 24;
        return 0;
    case WMGW_NDR_OBJREF_EXTENDED:
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "OBJREF_EXTENDED (envoy context) is not supported");
    default:
        return wmgw_err_set(err, WMGW_EPROTO, "OBJREF flags 0x%x is not one of 1, 2, 4, 8", o->flags);
    }
}
