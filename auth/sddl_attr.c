/*
 * sddl_attr.c: resource attributes, the data of RA ACEs: SDDL
 * attribute-data (MS-DTYP 2.5.1.1)
 *
 *     ("Name",TS,0x0,"value1","value2")
 *
 * to and from CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1 (2.4.10.1), and the
 * checked reader that the access check uses to look @Resource. attributes
 * up in the SACL.
 *
 * Binary layout written here: the 16-byte header, one 32-bit offset per
 * value, the name (UTF-16LE, NUL-terminated), then the values in order
 * (64-bit numbers; NUL-terminated strings; length-prefixed octet strings,
 * SIDs in binary), zero-padded to a multiple of 4.  The reader accepts
 * any layout whose offsets stay inside the data.
 *
 * Types: TI int64, TU uint64, TS string, TD SID, TX octets, TB boolean.
 *
 * SECURITY
 *      Both directions are bounded: at most WMGW_SDDL_MAX_ATTR_VALUES
 *      values; every offset, length and terminator is checked against the
 *      data before the value is used.
 */
#include "auth/sddl_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    char name[3];
    uint16_t type;
} type_names[] = {
    {"TI", WMGW__CLAIM_INT64}, {"TU", WMGW__CLAIM_UINT64}, {"TS", WMGW__CLAIM_STRING},
    {"TD", WMGW__CLAIM_SID},   {"TX", WMGW__CLAIM_OCTETS}, {"TB", WMGW__CLAIM_BOOLEAN},
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

/* ---- the reader ---- */

static int bad(struct wmgw_err *err, size_t at, const char *what)
{
    return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "resource attribute: %s", what);
}

/* Length in bytes of the NUL-terminated UTF-16LE string at d[off], or -1. */
static long utf16z_len(const uint8_t *d, size_t len, size_t off)
{
    for (size_t k = off; k + 1 < len; k += 2)
        if (d[k] == 0 && d[k + 1] == 0)
            return (long)(k - off);
    return -1;
}

static bool known_type(uint16_t t)
{
    for (size_t k = 0; k < TYPE_COUNT; k++)
        if (type_names[k].type == t)
            return true;
    return false;
}

int wmgw__claim_read(const uint8_t *d, size_t len, struct wmgw__claim *c, struct wmgw_err *err)
{
    if (len < 16)
        return bad(err, len, "shorter than its 16-byte header");
    uint32_t name_off = wmgw__le32(d);
    c->data = d;
    c->len = len;
    c->type = wmgw__le16(d + 4);
    c->flags = wmgw__le32(d + 8);
    c->count = wmgw__le32(d + 12);
    if (!known_type(c->type))
        return bad(err, 4, "unknown value type");
    if (c->count > WMGW_SDDL_MAX_ATTR_VALUES || 16 + 4 * (size_t)c->count > len)
        return bad(err, 12, "value count beyond the data or the limit");
    long n = name_off < len ? utf16z_len(d, len, name_off) : -1;
    if (n <= 0)
        return bad(err, 0, "name missing, empty or not terminated");
    c->name = d + name_off;
    c->name_len = (size_t)n;
    for (uint32_t i = 0; i < c->count; i++) {
        size_t at = 16 + 4 * (size_t)i, off = wmgw__le32(d + at);
        if (off >= len)
            return bad(err, at, "value offset beyond the data");
        switch (c->type) {
        case WMGW__CLAIM_STRING:
            if (utf16z_len(d, len, off) < 0)
                return bad(err, off, "string value not terminated");
            break;
        case WMGW__CLAIM_SID:
        case WMGW__CLAIM_OCTETS: {
            if (len - off < 4 || wmgw__le32(d + off) > len - off - 4)
                return bad(err, off, "octet string beyond the data");
            size_t l = wmgw__le32(d + off), used;
            struct wmgw_sid sid;
            if (c->type == WMGW__CLAIM_SID && (wmgw_sid_read(&sid, d + off + 4, l, &used, NULL) != 0 || used != l))
                return bad(err, off, "malformed SID value");
            break;
        }
        default:
            if (len - off < 8)
                return bad(err, off, "64-bit value beyond the data");
        }
    }
    return 0;
}

void wmgw__claim_value(const struct wmgw__claim *c, uint32_t i, uint64_t *u, const uint8_t **p, size_t *n)
{
    size_t off = wmgw__le32(c->data + 16 + 4 * (size_t)i);
    *u = 0;
    *p = NULL;
    *n = 0;
    switch (c->type) {
    case WMGW__CLAIM_STRING:
        *p = c->data + off;
        *n = (size_t)utf16z_len(c->data, c->len, off);
        break;
    case WMGW__CLAIM_SID:
    case WMGW__CLAIM_OCTETS:
        *p = c->data + off + 4;
        *n = wmgw__le32(c->data + off);
        break;
    default:
        *u = wmgw__le64(c->data + off);
    }
}

/* ---- text -> binary ---- */

struct ac {
    const char *s;
    size_t len, base, i;
    const struct wmgw_sid_domains *dom;
    struct wmgw_err *err;
};

static int fail(struct ac *a, const char *what)
{
    return wmgw_err_set_at(a->err, WMGW_EINVAL, (long)(a->base + a->i), "resource attribute: %s", what);
}

static void skip_ws(struct ac *a)
{
    while (a->i < a->len && (a->s[a->i] == ' ' || (a->s[a->i] >= 0x09 && a->s[a->i] <= 0x0D)))
        a->i++;
}

static int expect(struct ac *a, char ch, const char *what)
{
    skip_ws(a);
    if (a->i >= a->len || a->s[a->i] != ch)
        return fail(a, what);
    a->i++;
    skip_ws(a);
    return 0;
}

/* One value of the given type, appended to vals in its binary form. */
static int value(struct ac *a, uint16_t type, struct wmgw_buf *vals)
{
    struct wmgw__int_lit v;
    size_t n, at = vals->len, used;
    struct wmgw_sid sid;
    int rc;
    switch (type) {
    case WMGW__CLAIM_INT64:
    case WMGW__CLAIM_UINT64:
        rc = wmgw__lit_int_parse(a->s, a->len, &a->i, type == WMGW__CLAIM_UINT64, &v, a->base, a->err);
        return rc ? rc : wmgw__buf_le64(vals, (uint64_t)v.value);
    case WMGW__CLAIM_BOOLEAN:
        if (a->i >= a->len || (a->s[a->i] != '0' && a->s[a->i] != '1'))
            return fail(a, "expected 0 or 1");
        return wmgw__buf_le64(vals, (uint64_t)(a->s[a->i++] - '0'));
    case WMGW__CLAIM_STRING:
        rc = wmgw__lit_string_parse(a->s, a->len, &a->i, vals, &n, a->base, a->err);
        return rc ? rc : wmgw_buf_add(vals, "\0", 2);
    case WMGW__CLAIM_OCTETS:
        rc = wmgw__buf_le32(vals, 0);
        rc = rc ? rc : wmgw__lit_octets_parse(a->s, a->len, &a->i, vals, &n, a->base, a->err);
        if (rc == 0)
            wmgw__put32((uint8_t *)vals->data + at, (uint32_t)n);
        return rc;
    default: { /* SID */
        struct wmgw_err e;
        if (wmgw_sid_parse_sddl(&sid, a->s + a->i, a->len - a->i, &used, a->dom, &e) != 0)
            return wmgw_err_set_at(a->err, WMGW_EINVAL, (long)(a->base + a->i + (size_t)(e.position > 0 ? e.position : 0)),
                                   "resource attribute: %s", e.message);
        a->i += used;
        uint8_t bin[WMGW_SID_MAX_BINARY];
        size_t l = wmgw_sid_write(&sid, bin);
        rc = wmgw__buf_le32(vals, (uint32_t)l);
        return rc ? rc : wmgw_buf_add(vals, bin, l);
    }
    }
}

/* Lays the parsed parts out as CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1. */
static int assemble(struct wmgw_buf *out, const struct wmgw_buf *name, uint16_t type, uint32_t flags,
                    const uint32_t *offs, size_t count, const struct wmgw_buf *vals)
{
    size_t name_at = 16 + 4 * count, vals_at = name_at + name->len + 2;
    int rc = wmgw__buf_le32(out, (uint32_t)name_at);
    uint8_t t[4] = {(uint8_t)type, (uint8_t)(type >> 8), 0, 0};
    rc = rc ? rc : wmgw_buf_add(out, t, 4);
    rc = rc ? rc : wmgw__buf_le32(out, flags);
    rc = rc ? rc : wmgw__buf_le32(out, (uint32_t)count);
    for (size_t k = 0; rc == 0 && k < count; k++)
        rc = wmgw__buf_le32(out, (uint32_t)(vals_at + offs[k]));
    rc = rc ? rc : wmgw_buf_add(out, name->data, name->len);
    rc = rc ? rc : wmgw_buf_add(out, "\0", 2);
    rc = rc || vals->len == 0 ? rc : wmgw_buf_add(out, vals->data, vals->len);
    return rc ? rc : wmgw__buf_pad4(out);
}

int wmgw__attr_compile(const char *text, size_t len, size_t base, size_t *used, const struct wmgw_sid_domains *dom,
                       struct wmgw_buf *out, struct wmgw_err *err)
{
    struct ac a = {text, len, base, 0, dom, err};
    struct wmgw_buf name, vals;
    uint32_t *offs = calloc(WMGW_SDDL_MAX_ATTR_VALUES, sizeof(*offs));
    size_t count = 0, units;
    wmgw_buf_init(&name, 2 * WMGW_SDDL_MAX_NAME);
    wmgw_buf_init(&vals, 0xFFFF);
    int rc = offs ? expect(&a, '(', "expected '(' to open the attribute data") : WMGW_ENOMEM;
    rc = rc ? rc : expect(&a, '"', "expected '\"' before the attribute name");
    rc = rc ? rc : wmgw__lit_name_parse(text, len, &a.i, false, &name, &units, base, err);
    rc = rc ? rc : expect(&a, '"', "expected '\"' after the attribute name");
    rc = rc ? rc : expect(&a, ',', "expected ',' before the value type");
    uint16_t type = 0;
    for (size_t k = 0; rc == 0 && k < TYPE_COUNT; k++)
        if (len - a.i >= 2 && memcmp(text + a.i, type_names[k].name, 2) == 0)
            type = type_names[k].type;
    if (rc == 0 && type == 0)
        rc = fail(&a, "expected a value type (TI, TU, TS, TD, TX or TB)");
    if (rc == 0)
        a.i += 2;
    rc = rc ? rc : expect(&a, ',', "expected ',' before the flags");
    struct wmgw__int_lit flags;
    size_t flags_at = a.i;
    rc = rc ? rc : wmgw__lit_int_parse(text, len, &a.i, true, &flags, base, err);
    if (rc == 0 && (uint64_t)flags.value > UINT32_MAX) {
        a.i = flags_at;
        rc = fail(&a, "flags larger than 32 bits");
    }
    for (skip_ws(&a); rc == 0 && a.i < len && text[a.i] == ','; skip_ws(&a)) {
        if (count == WMGW_SDDL_MAX_ATTR_VALUES) {
            rc = fail(&a, "more values than the limit");
            break;
        }
        a.i++;
        skip_ws(&a);
        offs[count++] = (uint32_t)vals.len;
        rc = value(&a, type, &vals);
        if (rc == WMGW_ETOOBIG)
            rc = fail(&a, "values too large");
    }
    rc = rc ? rc : expect(&a, ')', "expected ',' or ')' after a value");
    if (rc == 0) {
        *used = a.i;
        rc = assemble(out, &name, type, (uint32_t)flags.value, offs, count, &vals);
        if (rc == WMGW_ETOOBIG)
            rc = wmgw_err_set_at(err, rc, (long)base, "resource attribute: too large");
    }
    free(offs);
    wmgw_buf_dispose(&name);
    wmgw_buf_dispose(&vals);
    return rc;
}

/* ---- binary -> text ---- */

int wmgw__attr_format(const uint8_t *data, size_t len, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
                      struct wmgw_err *err)
{
    struct wmgw__claim c;
    int rc = wmgw__claim_read(data, len, &c, err);
    if (rc != 0)
        return rc;
    const char *tname = "";
    for (size_t k = 0; k < TYPE_COUNT; k++)
        if (type_names[k].type == c.type)
            tname = type_names[k].name;
    rc = wmgw_buf_addstr(out, "(\"");
    rc = rc ? rc : wmgw__lit_name_format(c.name, c.name_len, out, err);
    rc = rc ? rc : wmgw_buf_printf(out, "\",%s,0x%" PRIx32, tname, c.flags);
    for (uint32_t i = 0; rc == 0 && i < c.count; i++) {
        uint64_t u;
        const uint8_t *p;
        size_t n, used;
        char sid_text[WMGW_SID_TEXT_MAX];
        struct wmgw_sid sid;
        wmgw__claim_value(&c, i, &u, &p, &n);
        rc = wmgw_buf_addc(out, ',');
        if (rc != 0)
            break;
        switch (c.type) {
        case WMGW__CLAIM_INT64:
            rc = wmgw_buf_printf(out, "%" PRId64, (int64_t)u);
            break;
        case WMGW__CLAIM_UINT64:
            rc = wmgw_buf_printf(out, "%" PRIu64, u);
            break;
        case WMGW__CLAIM_BOOLEAN:
            rc = u > 1 ? wmgw_err_set(err, WMGW_EUNSUPPORTED, "a boolean attribute value other than 0 or 1")
                       : wmgw_buf_addc(out, u ? '1' : '0');
            break;
        case WMGW__CLAIM_STRING:
            rc = wmgw__lit_string_format(p, n, out, err);
            break;
        case WMGW__CLAIM_OCTETS:
            rc = wmgw__lit_octets_format(p, n, out);
            break;
        default:
            wmgw_sid_read(&sid, p, n, &used, NULL); /* checked by claim_read */
            wmgw_sid_format_sddl(&sid, dom, sid_text);
            rc = wmgw_buf_addstr(out, sid_text);
        }
    }
    return rc ? rc : wmgw_buf_addc(out, ')');
}
