/*
 * ndr.c: NDR 2.0 little-endian writer and bounded reader.  See ndr.h.
 * Representation rules: C706 14.2 (primitives aligned to their size),
 * 14.3 (arrays, strings, pointers and their deferral), MS-OAUT 2.2.23 (BSTR).
 */
#include "translators/wmi/ndr.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- UTF-16 ---- */

int wmgw_ndr_utf16_to_utf8(const uint8_t *le, size_t units, struct wmgw_buf *out)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < units; i++) {
        uint32_t cp = (uint32_t)(le[2 * i] | le[2 * i + 1] << 8);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units) {
            uint32_t lo = (uint32_t)(le[2 * i + 2] | le[2 * i + 3] << 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD; /* unpaired surrogate */
        char u[4];
        rc = wmgw_buf_add(out, u, wmgw_utf8_put(u, cp));
    }
    return rc;
}

int wmgw_ndr_utf8_to_utf16(const char *utf8, size_t len, struct wmgw_buf *out, size_t *units)
{
    size_t n = 0, i = 0;
    int rc = 0;
    while (rc == 0 && i < len) {
        uint32_t cp;
        i += wmgw_utf8_next(utf8 + i, len - i, &cp);
        if (cp == WMGW_UTF8_BAD)
            return WMGW_EINVAL;
        uint8_t b[4];
        size_t k = 2;
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            b[0] = (uint8_t)hi, b[1] = (uint8_t)(hi >> 8), b[2] = (uint8_t)lo, b[3] = (uint8_t)(lo >> 8);
            k = 4;
        } else {
            b[0] = (uint8_t)cp, b[1] = (uint8_t)(cp >> 8);
        }
        rc = wmgw_buf_add(out, b, k);
        n += k / 2;
    }
    *units = n;
    return rc;
}

/* ---- writer ---- */

void wmgw_ndr_writer_init(struct wmgw_ndr_writer *w, struct wmgw_buf *buf, struct wmgw_err *err)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->base = buf->len;
    w->next_refid = WMGW_NDR_REFID_FIRST;
    w->err = err;
}

static int wfail(struct wmgw_ndr_writer *w, int rc, const char *what)
{
    if (w->rc == 0) {
        w->rc = rc;
        wmgw_err_set(w->err, rc, "NDR: cannot write %s (%s)", what, wmgw_err_summary(rc));
    }
    return w->rc;
}

static int wadd(struct wmgw_ndr_writer *w, const void *p, size_t n, const char *what)
{
    if (w->rc)
        return w->rc;
    int rc = wmgw_buf_add(w->buf, p, n);
    return rc ? wfail(w, rc, what) : 0;
}

int wmgw_ndr_align(struct wmgw_ndr_writer *w, size_t n)
{
    static const uint8_t zero[8];
    size_t pad = (n - (w->buf->len - w->base) % n) % n;
    return wadd(w, zero, pad, "padding");
}

int wmgw_ndr_put_u8(struct wmgw_ndr_writer *w, uint8_t v)
{
    return wadd(w, &v, 1, "small");
}

int wmgw_ndr_put_u16(struct wmgw_ndr_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    wmgw_ndr_align(w, 2);
    return wadd(w, b, 2, "short");
}

int wmgw_ndr_put_u32(struct wmgw_ndr_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    wmgw_ndr_align(w, 4);
    return wadd(w, b, 4, "long");
}

int wmgw_ndr_put_u64(struct wmgw_ndr_writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    wmgw_ndr_align(w, 8);
    return wadd(w, b, 8, "hyper");
}

int wmgw_ndr_put_enum(struct wmgw_ndr_writer *w, unsigned v)
{
    if (v > 0x7FFF)
        return wfail(w, WMGW_EINVAL, "enum (above 32767)");
    return wmgw_ndr_put_u16(w, (uint16_t)v);
}

int wmgw_ndr_put_bytes(struct wmgw_ndr_writer *w, const void *p, size_t n)
{
    return wadd(w, p, n, "bytes");
}

int wmgw_ndr_put_uuid(struct wmgw_ndr_writer *w, const struct wmgw_uuid *u)
{
    wmgw_ndr_align(w, 4);
    return wadd(w, u->b, 16, "GUID");
}

int wmgw_ndr_put_unique(struct wmgw_ndr_writer *w, bool present)
{
    uint32_t id = 0;
    if (present) {
        id = w->next_refid;
        w->next_refid += 4;
    }
    return wmgw_ndr_put_u32(w, id);
}

int wmgw_ndr_put_full(struct wmgw_ndr_writer *w, const void *key, bool *pointee)
{
    *pointee = false;
    if (key == NULL)
        return wmgw_ndr_put_u32(w, 0);
    for (size_t i = 0; i < w->n_full; i++)
        if (w->full_key[i] == key)
            return wmgw_ndr_put_u32(w, w->full_id[i]);
    if (w->n_full == WMGW_NDR_MAX_FULL)
        return wfail(w, WMGW_ETOOBIG, "full pointer (table full)");
    w->full_key[w->n_full] = key;
    w->full_id[w->n_full++] = w->next_refid;
    *pointee = true;
    return wmgw_ndr_put_unique(w, true);
}

int wmgw_ndr_put_conformance(struct wmgw_ndr_writer *w, uint32_t max_count)
{
    return wmgw_ndr_put_u32(w, max_count);
}

int wmgw_ndr_put_variance(struct wmgw_ndr_writer *w, uint32_t offset, uint32_t actual)
{
    wmgw_ndr_put_u32(w, offset);
    return wmgw_ndr_put_u32(w, actual);
}

int wmgw_ndr_put_carray_u8(struct wmgw_ndr_writer *w, const uint8_t *p, uint32_t n)
{
    wmgw_ndr_put_conformance(w, n);
    return wadd(w, p, n, "byte array");
}

int wmgw_ndr_put_carray_u16(struct wmgw_ndr_writer *w, const uint16_t *p, uint32_t n)
{
    wmgw_ndr_put_conformance(w, n);
    for (uint32_t i = 0; i < n; i++)
        wmgw_ndr_put_u16(w, p[i]);
    return w->rc;
}

/* UTF-16LE of utf8 into a scratch buffer sized for the writer's limit. */
static int to_utf16(struct wmgw_ndr_writer *w, const char *utf8, struct wmgw_buf *tmp, size_t *units)
{
    wmgw_buf_init(tmp, w->buf->max);
    if (w->rc)
        return w->rc;
    int rc = wmgw_ndr_utf8_to_utf16(utf8, strlen(utf8), tmp, units);
    if (rc == WMGW_EINVAL)
        return wfail(w, rc, "string (ill-formed UTF-8)");
    if (rc == 0 && *units >= 0x7FFFFFFF)
        rc = WMGW_ETOOBIG;
    return rc ? wfail(w, rc, "string") : 0;
}

int wmgw_ndr_put_wstr(struct wmgw_ndr_writer *w, const char *utf8)
{
    struct wmgw_buf tmp;
    size_t units = 0;
    if (to_utf16(w, utf8, &tmp, &units) == 0) {
        wmgw_ndr_put_conformance(w, (uint32_t)units + 1);
        wmgw_ndr_put_variance(w, 0, (uint32_t)units + 1);
        wadd(w, tmp.data, tmp.len, "string");
        wadd(w, "\0", 2, "string");
    }
    wmgw_buf_dispose(&tmp);
    return w->rc;
}

int wmgw_ndr_put_wstr_ptr(struct wmgw_ndr_writer *w, const char *utf8)
{
    wmgw_ndr_put_unique(w, utf8 != NULL);
    return utf8 ? wmgw_ndr_put_wstr(w, utf8) : w->rc;
}

int wmgw_ndr_put_bstr_blob(struct wmgw_ndr_writer *w, const char *utf8)
{
    if (utf8 == NULL) {
        wmgw_ndr_put_conformance(w, 0);
        wmgw_ndr_put_u32(w, 0xFFFFFFFFu);
        return wmgw_ndr_put_u32(w, 0);
    }
    struct wmgw_buf tmp;
    size_t units = 0;
    if (to_utf16(w, utf8, &tmp, &units) == 0) {
        wmgw_ndr_put_conformance(w, (uint32_t)units);
        wmgw_ndr_put_u32(w, (uint32_t)units * 2);
        wmgw_ndr_put_u32(w, (uint32_t)units);
        wadd(w, tmp.data, tmp.len, "BSTR");
    }
    wmgw_buf_dispose(&tmp);
    return w->rc;
}

int wmgw_ndr_put_bstr(struct wmgw_ndr_writer *w, const char *utf8)
{
    wmgw_ndr_put_unique(w, true);
    return wmgw_ndr_put_bstr_blob(w, utf8);
}

/* ---- reader ---- */

void wmgw_ndr_reader_init(struct wmgw_ndr_reader *r, const uint8_t *data, size_t len, struct wmgw_err *err)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
    r->err = err;
}

int wmgw_ndr_fail(struct wmgw_ndr_reader *r, const char *field, const char *fmt, ...)
{
    if (r->rc)
        return r->rc;
    r->rc = WMGW_EPROTO;
    if (r->err != NULL) {
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        wmgw_err_set_at(r->err, WMGW_EPROTO, (long)r->off, "NDR %s: %s (offset %zu)", field, what, r->off);
    }
    return r->rc;
}

/* Makes n more bytes available at r->off, or fails. */
static int avail(struct wmgw_ndr_reader *r, size_t n, const char *field)
{
    if (r->rc)
        return r->rc;
    if (r->len - r->off < n)
        return wmgw_ndr_fail(r, field, "truncated: %zu bytes needed, %zu left", n, r->len - r->off);
    return 0;
}

int wmgw_ndr_skip_align(struct wmgw_ndr_reader *r, size_t n, const char *field)
{
    size_t pad = (n - r->off % n) % n;
    if (avail(r, pad, field))
        return r->rc;
    r->off += pad; /* pad octets are not checked: senders fill them with anything */
    return 0;
}

static int fixed(struct wmgw_ndr_reader *r, size_t n, const uint8_t **p, const char *field)
{
    *p = NULL;
    if (wmgw_ndr_skip_align(r, n, field) || avail(r, n, field))
        return r->rc;
    *p = r->data ? r->data + r->off : (const uint8_t *)"";
    r->off += n;
    return 0;
}

int wmgw_ndr_get_u8(struct wmgw_ndr_reader *r, uint8_t *v, const char *field)
{
    const uint8_t *p;
    *v = 0;
    if (fixed(r, 1, &p, field) == 0)
        *v = p[0];
    return r->rc;
}

int wmgw_ndr_get_u16(struct wmgw_ndr_reader *r, uint16_t *v, const char *field)
{
    const uint8_t *p;
    *v = 0;
    if (fixed(r, 2, &p, field) == 0)
        *v = (uint16_t)(p[0] | p[1] << 8);
    return r->rc;
}

int wmgw_ndr_get_u32(struct wmgw_ndr_reader *r, uint32_t *v, const char *field)
{
    const uint8_t *p;
    *v = 0;
    if (fixed(r, 4, &p, field) == 0)
        *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return r->rc;
}

int wmgw_ndr_get_u64(struct wmgw_ndr_reader *r, uint64_t *v, const char *field)
{
    const uint8_t *p;
    *v = 0;
    if (fixed(r, 8, &p, field) == 0)
        for (int i = 7; i >= 0; i--)
            *v = *v << 8 | p[i];
    return r->rc;
}

int wmgw_ndr_get_enum(struct wmgw_ndr_reader *r, uint16_t *v, const char *field)
{
    if (wmgw_ndr_get_u16(r, v, field) == 0 && *v > 0x7FFF)
        return wmgw_ndr_fail(r, field, "enum value %u above 32767", *v);
    return r->rc;
}

int wmgw_ndr_get_bytes(struct wmgw_ndr_reader *r, const uint8_t **p, size_t n, const char *field)
{
    *p = NULL;
    if (avail(r, n, field))
        return r->rc;
    *p = r->data ? r->data + r->off : (const uint8_t *)"";
    r->off += n;
    return 0;
}

int wmgw_ndr_get_uuid(struct wmgw_ndr_reader *r, struct wmgw_uuid *u, const char *field)
{
    const uint8_t *p;
    memset(u, 0, sizeof(*u));
    if (wmgw_ndr_skip_align(r, 4, field) == 0 && wmgw_ndr_get_bytes(r, &p, 16, field) == 0)
        memcpy(u->b, p, 16);
    return r->rc;
}

int wmgw_ndr_get_unique(struct wmgw_ndr_reader *r, bool *present, const char *field)
{
    uint32_t id;
    wmgw_ndr_get_u32(r, &id, field);
    *present = r->rc == 0 && id != 0;
    return r->rc;
}

int wmgw_ndr_get_full(struct wmgw_ndr_reader *r, bool *present, bool *pointee, const char *field)
{
    uint32_t id;
    *present = *pointee = false;
    if (wmgw_ndr_get_u32(r, &id, field) || id == 0)
        return r->rc;
    *present = true;
    for (size_t i = 0; i < r->n_full; i++)
        if (r->full_id[i] == id)
            return 0;
    if (r->n_full == WMGW_NDR_MAX_FULL)
        return wmgw_ndr_fail(r, field, "more than %d full pointers", WMGW_NDR_MAX_FULL);
    r->full_id[r->n_full++] = id;
    *pointee = true;
    return 0;
}

int wmgw_ndr_get_conformance(struct wmgw_ndr_reader *r, uint32_t *max_count, uint32_t limit, size_t elem_size,
                             const char *field)
{
    if (wmgw_ndr_get_u32(r, max_count, field))
        return r->rc;
    if (*max_count > limit)
        return wmgw_ndr_fail(r, field, "max_count %u exceeds %u", *max_count, limit);
    if (elem_size > 0 && *max_count > (r->len - r->off) / elem_size)
        return wmgw_ndr_fail(r, field, "max_count %u exceeds the %zu bytes left", *max_count, r->len - r->off);
    return 0;
}

int wmgw_ndr_get_variance(struct wmgw_ndr_reader *r, uint32_t *offset, uint32_t *actual, uint32_t max_count,
                          const char *field)
{
    wmgw_ndr_get_u32(r, offset, field);
    if (wmgw_ndr_get_u32(r, actual, field))
        return r->rc;
    if (*offset > max_count || *actual > max_count - *offset)
        return wmgw_ndr_fail(r, field, "offset %u + actual_count %u exceed max_count %u", *offset, *actual,
                             max_count);
    return 0;
}

int wmgw_ndr_get_carray_u8(struct wmgw_ndr_reader *r, const uint8_t **p, uint32_t *n, uint32_t limit,
                           const char *field)
{
    *p = NULL;
    if (wmgw_ndr_get_conformance(r, n, limit, 1, field))
        return r->rc;
    return wmgw_ndr_get_bytes(r, p, *n, field);
}

int wmgw_ndr_get_carray_u16(struct wmgw_ndr_reader *r, const uint8_t **p, uint32_t *n, uint32_t limit,
                            const char *field)
{
    *p = NULL;
    if (wmgw_ndr_get_conformance(r, n, limit, 2, field) || wmgw_ndr_skip_align(r, 2, field))
        return r->rc;
    return wmgw_ndr_get_bytes(r, p, (size_t)*n * 2, field);
}

static int add_utf8(struct wmgw_ndr_reader *r, const uint8_t *p, size_t units, struct wmgw_buf *out,
                    const char *field)
{
    int rc = wmgw_ndr_utf16_to_utf8(p, units, out);
    if (rc != 0) {
        wmgw_ndr_fail(r, field, "%zu characters do not fit the %zu-byte limit", units, out->max);
        r->rc = rc; /* ETOOBIG / ENOMEM: the input may be fine, our limit is not */
        if (r->err)
            r->err->code = rc;
    }
    return r->rc;
}

int wmgw_ndr_get_wstr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, const char *field)
{
    uint32_t max, offset, actual;
    const uint8_t *p;
    if (wmgw_ndr_get_conformance(r, &max, 0x7FFFFFFF, 0, field) ||
        wmgw_ndr_get_variance(r, &offset, &actual, max, field))
        return r->rc;
    if (offset != 0 || actual == 0)
        return wmgw_ndr_fail(r, field, "string with offset %u, actual_count %u", offset, actual);
    if (wmgw_ndr_get_bytes(r, &p, (size_t)actual * 2, field))
        return r->rc;
    for (uint32_t i = 0; i < actual; i++)
        if ((p[2 * i] | p[2 * i + 1]) == 0 && i + 1 != actual)
            return wmgw_ndr_fail(r, field, "NUL at character %u of %u", i, actual);
    if ((p[2 * actual - 2] | p[2 * actual - 1]) != 0)
        return wmgw_ndr_fail(r, field, "string not NUL-terminated");
    return add_utf8(r, p, actual - 1, utf8, field);
}

int wmgw_ndr_get_wstr_ptr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field)
{
    if (wmgw_ndr_get_unique(r, present, field) || !*present)
        return r->rc;
    return wmgw_ndr_get_wstr(r, utf8, field);
}

int wmgw_ndr_get_bstr_blob(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field)
{
    uint32_t max, cbytes, clsize;
    const uint8_t *p;
    *present = false;
    wmgw_ndr_get_conformance(r, &max, 0x7FFFFFFF, 2, field);
    wmgw_ndr_get_u32(r, &cbytes, field);
    if (wmgw_ndr_get_u32(r, &clsize, field))
        return r->rc;
    if (cbytes == 0xFFFFFFFFu) {
        if (clsize != 0 || max != 0)
            return wmgw_ndr_fail(r, field, "null BSTR with clSize %u, max_count %u", clsize, max);
        return 0;
    }
    if (cbytes % 2 != 0 || clsize != cbytes / 2 || max != clsize)
        return wmgw_ndr_fail(r, field, "inconsistent BSTR: cBytes %u, clSize %u, max_count %u", cbytes, clsize, max);
    if (wmgw_ndr_get_bytes(r, &p, cbytes, field))
        return r->rc;
    *present = true;
    return add_utf8(r, p, clsize, utf8, field);
}

int wmgw_ndr_get_bstr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field)
{
    if (wmgw_ndr_get_unique(r, present, field) || !*present)
        return r->rc;
    return wmgw_ndr_get_bstr_blob(r, utf8, present, field);
}

int wmgw_ndr_enter(struct wmgw_ndr_reader *r, const char *field)
{
    if (r->rc)
        return r->rc;
    if (r->depth >= WMGW_NDR_MAX_DEPTH)
        return wmgw_ndr_fail(r, field, "nested deeper than %d", WMGW_NDR_MAX_DEPTH);
    r->depth++;
    return 0;
}

void wmgw_ndr_leave(struct wmgw_ndr_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

int wmgw_ndr_expect_end(struct wmgw_ndr_reader *r, const char *what)
{
    if (r->rc == 0 && r->off != r->len)
        return wmgw_ndr_fail(r, what, "%zu unexpected bytes after the last field", r->len - r->off);
    return r->rc;
}
