/*
 * wmio_read.c: the bounded reader under every MS-WMIO decode (wmio.h):
 * error reporting with the byte offset in the caller's input, the budget
 * that caps how much model one blob may decode to, CimType sizes, the
 * string dictionary, Encoded-Strings (Latin-1 or UTF-16, to UTF-8) and
 * heap references.
 *
 * Nothing here trusts a length: every read is checked against the window
 * it was given before it happens, and a heap reference must leave room for
 * the item it names inside its own heap (class, instance and method heaps
 * never mix: 2.2.66).
 */
#include "translators/wmi/wmio_int.h"
#include "util/err.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MS-WMIO 2.2.80; #2 is the empty string (impacket calls it "NADA"). */
const char *const wmgw__wmio_dict[WMGW__WMIO_DICT_SIZE] = {
    "\"", "key", "", "read", "write", "volatile", "provider", "dynamic", "cimwin32", "DWORD", "CIMTYPE",
};

void wmgw__wmio_dctx_init(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, struct wmgw_err *err)
{
    d->err = err;
    d->base = p;
    d->base_len = len;
    d->budget = WMGW_WMIO_BUDGET(len);
    d->depth = 0;
}

int wmgw__wmio_fail(struct wmgw__wmio_dctx *d, const uint8_t *at, const char *fmt, ...)
{
    long pos = -1;
    /* Compare as integers: `at` may point into a cached class part. */
    uintptr_t a = (uintptr_t)at, b = (uintptr_t)d->base;
    if (at != NULL && d->base != NULL && a >= b && a - b <= d->base_len)
        pos = (long)(a - b);
    char msg[sizeof(d->err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (pos >= 0)
        return wmgw_err_set_at(d->err, WMGW_EPROTO, pos, "WMIO: %s (at byte %ld)", msg, pos);
    return wmgw_err_set(d->err, WMGW_EPROTO, "WMIO: %s (in a cached class part)", msg);
}

int wmgw__wmio_charge(struct wmgw__wmio_dctx *d, size_t n, const uint8_t *at, const char *what)
{
    if (n > d->budget)
        return wmgw__wmio_fail(d, at, "%s: the object decodes to more than %zu bytes", what,
                               WMGW_WMIO_BUDGET(d->base_len));
    d->budget -= n;
    return 0;
}

size_t wmgw__wmio_slot_size(uint16_t type)
{
    if (WMGW_CIM_IS_ARRAY(type))
        return 4; /* a HeapRef to the Encoded-Array */
    switch (type) {
    case WMGW_CIM_SINT8: case WMGW_CIM_UINT8:
        return 1;
    case WMGW_CIM_SINT16: case WMGW_CIM_UINT16: case WMGW_CIM_BOOLEAN: case WMGW_CIM_CHAR16:
        return 2;
    case WMGW_CIM_SINT32: case WMGW_CIM_UINT32: case WMGW_CIM_REAL32: case WMGW_CIM_STRING:
    case WMGW_CIM_DATETIME: case WMGW_CIM_REFERENCE: case WMGW_CIM_OBJECT:
        return 4;
    case WMGW_CIM_SINT64: case WMGW_CIM_UINT64: case WMGW_CIM_REAL64:
        return 8;
    default:
        return 0;
    }
}

bool wmgw__wmio_type_known(uint16_t type)
{
    if ((type & ~(uint16_t)(WMGW_CIM_ARRAY | 0x00FF)) != 0)
        return false;
    return wmgw__wmio_slot_size(WMGW_CIM_BASETYPE(type)) != 0;
}

/* UTF-8 of one code point into out (room for 4). */
static size_t put_cp(char *out, uint32_t cp)
{
    return wmgw_utf8_put(out, cp);
}

int wmgw__wmio_estring(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, const char *what, char **out,
                       size_t *used)
{
    if (avail < 2)
        return wmgw__wmio_fail(d, p, "%s: Encoded-String runs past the end", what);
    uint8_t flag = p[0];
    size_t n = 0, end;
    if (flag == 0) {
        /* Latin-1: one octet a character (2.2.78). */
        const uint8_t *z = memchr(p + 1, 0, avail - 1);
        if (z == NULL)
            return wmgw__wmio_fail(d, p, "%s: Latin-1 Encoded-String without its terminator", what);
        n = (size_t)(z - (p + 1));
        end = n + 2;
    } else if (flag == 1) {
        size_t i = 1;
        while (i + 1 < avail && (p[i] | p[i + 1]) != 0)
            i += 2;
        if (i + 1 >= avail)
            return wmgw__wmio_fail(d, p, "%s: UTF-16 Encoded-String without its terminator", what);
        n = (i - 1) / 2;
        end = i + 2;
    } else {
        return wmgw__wmio_fail(d, p, "%s: Encoded-String flag %u is neither 0 (Latin-1) nor 1 (UTF-16)", what, flag);
    }
    /* UTF-8 needs at most 2 bytes per Latin-1 octet, 3 per UTF-16 unit. */
    size_t cap = n * (flag == 0 ? 2 : 3) + 1;
    int rc = wmgw__wmio_charge(d, cap, p, what);
    if (rc != 0)
        return rc;
    char *s = malloc(cap), *o = s;
    if (s == NULL)
        return WMGW_ENOMEM;
    if (flag == 0) {
        for (size_t i = 0; i < n; i++)
            o += put_cp(o, p[1 + i]);
    } else {
        const uint8_t *u = p + 1;
        for (size_t i = 0; i < n; i++) {
            uint32_t c = wmgw__wmio_le16(u + 2 * i);
            if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n) {
                uint32_t c2 = wmgw__wmio_le16(u + 2 * (i + 1));
                if (c2 >= 0xDC00 && c2 <= 0xDFFF) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                    i++;
                }
            }
            if (c >= 0xD800 && c <= 0xDFFF)
                c = 0xFFFD; /* a lone surrogate has no UTF-8 form */
            o += put_cp(o, c);
        }
    }
    *o = '\0';
    *out = s;
    if (used != NULL)
        *used = end;
    return 0;
}

int wmgw__wmio_heap_item(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_heap *h, uint32_t ref, size_t need,
                         const char *what, const uint8_t **item)
{
    if (ref & WMGW__WMIO_DICT_BIT)
        return wmgw__wmio_fail(d, h->p, "%s: heap reference 0x%08x is not an offset", what, ref);
    if (ref > h->len || need > h->len - ref)
        return wmgw__wmio_fail(d, h->p, "%s: %s offset %u (+%zu bytes) is outside the %zu-byte heap", what, h->what,
                               ref, need, h->len);
    *item = h->p + ref;
    return 0;
}

int wmgw__wmio_heap_string(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_heap *h, uint32_t ref,
                           const char *what, char **out)
{
    *out = NULL;
    if (ref == WMGW__WMIO_NULLREF)
        return 0;
    if (ref & WMGW__WMIO_DICT_BIT) {
        uint32_t i = ref & ~WMGW__WMIO_DICT_BIT;
        if (i >= WMGW__WMIO_DICT_SIZE)
            return wmgw__wmio_fail(d, h->p, "%s: dictionary reference %u is past the 11-entry dictionary", what, i);
        int rc = wmgw__wmio_charge(d, strlen(wmgw__wmio_dict[i]) + 1, h->p, what);
        if (rc != 0)
            return rc;
        return (*out = strdup(wmgw__wmio_dict[i])) != NULL ? 0 : WMGW_ENOMEM;
    }
    const uint8_t *item;
    int rc = wmgw__wmio_heap_item(d, h, ref, 2, what, &item);
    if (rc != 0)
        return rc;
    return wmgw__wmio_estring(d, item, h->len - ref, what, out, NULL);
}
