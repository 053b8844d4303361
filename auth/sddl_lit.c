/*
 * sddl_lit.c: the literals of conditional expressions and resource
 * attributes (MS-DTYP 2.5.1.1 int-64, char-string, octet-string and
 * attribute names), between SDDL text and their binary payloads.
 *
 * Strings and names are UTF-8 in SDDL and UTF-16LE in binary.  Names in
 * "@Prefixed" form may hold any character: those outside attr-char2 are
 * written %XXXX (one UTF-16 code unit in hex).  Integers keep the sign and
 * base they were written with, because the binary form stores both for
 * display.
 *
 * SECURITY
 *      Every reader is bounded by its len and stops at the first byte that
 *      cannot continue the literal; strings must be valid UTF-8 without
 *      control characters; numbers are range-checked before they are used.
 */
#include "auth/sddl_int.h"
#include "util/hex.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int put_unit(struct wmgw_buf *out, uint32_t u)
{
    uint8_t b[2] = {(uint8_t)u, (uint8_t)(u >> 8)};
    return wmgw_buf_add(out, b, 2);
}

/* Appends a code point as one or two UTF-16 units; *units counts them. */
static int put_code_point(struct wmgw_buf *out, uint32_t cp, size_t *units)
{
    if (cp < 0x10000) {
        (*units)++;
        return put_unit(out, cp);
    }
    cp -= 0x10000;
    *units += 2;
    int rc = put_unit(out, 0xD800 | (cp >> 10));
    return rc ? rc : put_unit(out, 0xDC00 | (cp & 0x3FF));
}

/* Reads the code point at UTF-16LE p[*k] (a valid pair, or one unit);
 * *lone is set for an unpaired surrogate. */
static uint32_t next_unit_cp(const uint8_t *p, size_t n, size_t *k, bool *lone)
{
    uint32_t u = wmgw__le16(p + *k);
    *k += 2;
    *lone = false;
    if (u >= 0xD800 && u <= 0xDBFF && *k + 1 < n) {
        uint32_t lo = wmgw__le16(p + *k);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *k += 2;
            return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
    }
    if (u >= 0xD800 && u <= 0xDFFF)
        *lone = true;
    return u;
}

static int put_utf8(struct wmgw_buf *out, uint32_t cp)
{
    char b[4];
    return wmgw_buf_add(out, b, wmgw_utf8_put(b, cp));
}

/* ---- integers ---- */

int wmgw__lit_int_parse(const char *s, size_t len, size_t *i, bool unsigned_only, struct wmgw__int_lit *out,
                        size_t base, struct wmgw_err *err)
{
    size_t start = *i, k = *i;
    uint8_t sign = WMGW__SIGN_NONE;
    if (k < len && (s[k] == '+' || s[k] == '-')) {
        if (unsigned_only)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected an unsigned number");
        sign = s[k] == '+' ? WMGW__SIGN_PLUS : WMGW__SIGN_MINUS;
        k++;
    }
    unsigned radix = 10;
    if (k + 1 < len && s[k] == '0' && s[k + 1] == 'x') {
        radix = 16;
        k += 2;
    } else if (k + 1 < len && s[k] == '0' && is_alnum(s[k + 1])) {
        radix = 8;
        k++;
    }
    size_t digits_at = k;
    uint64_t mag = 0;
    bool overflow = false;
    while (k < len && is_alnum(s[k])) {
        int d = wmgw_hex_value(s[k]);
        if (d < 0 || (unsigned)d >= radix)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected %s digit",
                                   radix == 16 ? "a hex" : radix == 8 ? "an octal" : "a decimal");
        if (mag > (UINT64_MAX - (uint64_t)d) / radix)
            overflow = true;
        mag = mag * radix + (uint64_t)d;
        k++;
    }
    if (k == digits_at)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected a number");
    /* Hex and octal may spell any 64-bit pattern; signed decimal stays
     * within int64; a minus sign allows magnitudes up to 2^63. */
    uint64_t limit = sign == WMGW__SIGN_MINUS         ? (UINT64_C(1) << 63)
                     : radix == 10 && !unsigned_only ? (uint64_t)INT64_MAX
                                                      : UINT64_MAX;
    if (overflow || mag > limit)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + start), "number does not fit in 64 bits");
    out->value = (int64_t)(sign == WMGW__SIGN_MINUS ? 0 - mag : mag);
    out->sign = sign;
    out->base = radix == 16 ? WMGW__BASE_16 : radix == 8 ? WMGW__BASE_8 : WMGW__BASE_10;
    *i = k;
    return 0;
}

int wmgw__lit_int_format(const struct wmgw__int_lit *v, struct wmgw_buf *out)
{
    uint64_t u = (uint64_t)v->value;
    const char *prefix = v->sign == WMGW__SIGN_PLUS ? "+" : "";
    /* A minus sign prints only over a value that is negative (or zero);
     * otherwise the stored bits are what counts. */
    if ((v->sign == WMGW__SIGN_MINUS && v->value <= 0) || (v->base == WMGW__BASE_10 && v->value < 0)) {
        prefix = "-";
        u = 0 - u;
    }
    switch (v->base) {
    case WMGW__BASE_16:
        return wmgw_buf_printf(out, "%s0x%" PRIx64, prefix, u);
    case WMGW__BASE_8:
        return wmgw_buf_printf(out, "%s0%" PRIo64, prefix, u);
    default:
        return wmgw_buf_printf(out, "%s%" PRIu64, prefix, u);
    }
}

/* ---- strings ---- */

int wmgw__lit_string_parse(const char *s, size_t len, size_t *i, struct wmgw_buf *out, size_t *units, size_t base,
                           struct wmgw_err *err)
{
    size_t k = *i;
    if (k >= len || s[k] != '"')
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected '\"'");
    k++;
    *units = 0;
    while (k < len && s[k] != '"') {
        uint32_t cp;
        size_t n = wmgw_utf8_next(s + k, len - k, &cp);
        if (cp == WMGW_UTF8_BAD)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "string: invalid UTF-8");
        if (cp < 0x20 || cp == 0x7F)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "string: control character");
        int rc = put_code_point(out, cp, units);
        if (rc != 0)
            return wmgw_err_set_at(err, rc, (long)(base + k), "string: too long");
        k += n;
    }
    if (k >= len)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + *i), "string: no closing '\"'");
    *i = k + 1;
    return 0;
}

int wmgw__lit_string_format(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    int rc = wmgw_buf_addc(out, '"');
    for (size_t k = 0; rc == 0 && k + 1 < n;) {
        bool lone;
        uint32_t cp = next_unit_cp(p, n, &k, &lone);
        if (lone || cp < 0x20 || cp == 0x7F || cp == '"')
            return wmgw_err_set(err, WMGW_EUNSUPPORTED,
                                "a string holding U+%04X has no SDDL form", (unsigned)cp);
        rc = put_utf8(out, cp);
    }
    return rc ? rc : wmgw_buf_addc(out, '"');
}

/* ---- octet strings ---- */

int wmgw__lit_octets_parse(const char *s, size_t len, size_t *i, struct wmgw_buf *out, size_t *n, size_t base,
                           struct wmgw_err *err)
{
    size_t k = *i;
    if (k >= len || s[k] != '#')
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected '#'");
    k++;
    *n = 0;
    while (k < len && wmgw_hex_value(s[k]) >= 0) {
        if (k + 1 >= len || wmgw_hex_value(s[k + 1]) < 0)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k + 1),
                                   "octet string: expected a second hex digit");
        uint8_t b = (uint8_t)(wmgw_hex_value(s[k]) << 4 | wmgw_hex_value(s[k + 1]));
        int rc = wmgw_buf_add(out, &b, 1);
        if (rc != 0)
            return wmgw_err_set_at(err, rc, (long)(base + k), "octet string: too long");
        (*n)++;
        k += 2;
    }
    *i = k;
    return 0;
}

int wmgw__lit_octets_format(const uint8_t *p, size_t n, struct wmgw_buf *out)
{
    int rc = wmgw_buf_addc(out, '#');
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = wmgw_buf_printf(out, "%02x", p[k]);
    return rc;
}

/* ---- attribute names ---- */

static bool is_char1(uint32_t c)
{
    return c < 0x80 && (is_alnum((char)c) || c == ':' || c == '.' || c == '/' || c == '_');
}

/* attr-char2 characters that stand as themselves (lit-char and attr-char1). */
static bool is_char2_literal(uint32_t c)
{
    if (c >= 0x80)
        return true;
    return is_char1(c) || (c != 0 && strchr("#$'*+-./:;?@[\\]^_`{}~", (int)c) != NULL);
}

int wmgw__lit_name_parse(const char *s, size_t len, size_t *i, bool simple, struct wmgw_buf *out, size_t *units,
                         size_t base, struct wmgw_err *err)
{
    size_t k = *i;
    *units = 0;
    while (k < len) {
        uint32_t cp = (unsigned char)s[k];
        size_t n = 1;
        if (simple) {
            if (!(is_char1(cp) || (cp == '@' && *units > 0)))
                break;
        } else if (cp == '%') {
            int h[4];
            for (size_t d = 0; d < 4; d++)
                h[d] = k + 1 + d < len ? wmgw_hex_value(s[k + 1 + d]) : -1;
            if (h[0] < 0 || h[1] < 0 || h[2] < 0 || h[3] < 0)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k),
                                       "attribute name: expected 4 hex digits after '%%'");
            cp = (uint32_t)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
            if (cp == 0)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "attribute name: %%0000 is not allowed");
            n = 5;
        } else {
            if (cp >= 0x80) {
                n = wmgw_utf8_next(s + k, len - k, &cp);
                if (cp == WMGW_UTF8_BAD)
                    return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "attribute name: invalid UTF-8");
            }
            if (!is_char2_literal(cp))
                break;
        }
        if (*units >= WMGW_SDDL_MAX_NAME)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "attribute name longer than %d characters",
                                   WMGW_SDDL_MAX_NAME);
        int rc = cp >= 0xD800 && cp <= 0xDFFF && n == 5 ? (++*units, put_unit(out, cp)) : put_code_point(out, cp, units);
        if (rc != 0)
            return wmgw_err_set_at(err, rc, (long)(base + k), "attribute name: too long");
        k += n;
    }
    if (*units == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(base + k), "expected an attribute name");
    *i = k;
    return 0;
}

int wmgw__lit_name_format(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    int rc = 0;
    if (n < 2)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "an empty attribute name has no SDDL form");
    for (size_t k = 0; rc == 0 && k + 1 < n;) {
        size_t at = k;
        bool lone;
        uint32_t cp = next_unit_cp(p, n, &k, &lone);
        if (cp == 0)
            return wmgw_err_set(err, WMGW_EUNSUPPORTED, "an attribute name holding U+0000 has no SDDL form");
        if (lone || !is_char2_literal(cp)) {
            k = at + 2; /* escape one unit at a time */
            rc = wmgw_buf_printf(out, "%%%04X", (unsigned)wmgw__le16(p + at));
        } else {
            rc = put_utf8(out, cp);
        }
    }
    return rc;
}

bool wmgw__lit_name_is_simple(const uint8_t *p, size_t n)
{
    if (n < 2)
        return false;
    for (size_t k = 0; k + 1 < n; k += 2) {
        uint32_t u = wmgw__le16(p + k);
        if (!(is_char1(u) || (u == '@' && k > 0)))
            return false;
    }
    return true;
}

static uint32_t fold(uint32_t u)
{
    return u >= 'A' && u <= 'Z' ? u + 32 : u;
}

int wmgw__utf16_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, bool case_sensitive)
{
    size_t n = (an < bn ? an : bn) / 2;
    for (size_t k = 0; k < n; k++) {
        uint32_t x = wmgw__le16(a + 2 * k), y = wmgw__le16(b + 2 * k);
        if (!case_sensitive) {
            x = fold(x);
            y = fold(y);
        }
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : (an < bn ? -1 : 1);
}
