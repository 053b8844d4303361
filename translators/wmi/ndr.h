/*
 * ndr.h: NDR 2.0 (C706 chapter 14, MS-RPCE 2.2.4), little-endian, as the
 * stub data of DCE/RPC requests and responses carries it.
 *
 * The wmi/ translator (design.md: translators/wmi) marshals IRemoteSCM-
 * Activator, IWbem* and IRemUnknown arguments with these calls, and the
 * simulator's DCOM server unmarshals them; ndr_dcom.h adds the DCOM types.
 * Hand-written stubs call the primitives in IDL order and handle deferral
 * themselves, as NDR says (C706 14.3.12): a top-level pointer argument's
 * pointee follows its referent id; an embedded pointer's pointee follows
 * the structure or array that embeds it, depth first, in pointer order.
 * Functions named _blob / _mip write a pointee alone for that purpose.
 *
 * Both directions keep the first error and turn every later call into a
 * no-op that returns it, so a stub is a straight list of calls with one
 * check at the end.  The reader never reads past its input, bounds every
 * count by what the input could hold and by the caller's limit, and names
 * the field in its WMGW_EPROTO message.  Decoded byte arrays point into the
 * input; decoded strings are appended to a caller's bounded wmgw_buf.
 */
#ifndef WMGW_TRANSLATORS_WMI_NDR_H
#define WMGW_TRANSLATORS_WMI_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translators/wmi/uuid.h"
#include "util/buf.h"
#include "util/err.h"

#define WMGW_NDR_REFID_FIRST 0x00020000u /* Windows' first referent id; later ones add 4 */
#define WMGW_NDR_MAX_FULL 64             /* distinct full pointers per stub */
#define WMGW_NDR_MAX_DEPTH 32            /* nesting of wmgw_ndr_enter() */

struct wmgw_ndr_writer {
    struct wmgw_buf *buf;
    size_t base;          /* alignment counts from here: the first byte of the stub */
    uint32_t next_refid;
    int rc;               /* the first error, or 0 */
    struct wmgw_err *err; /* optional */
    size_t n_full;        /* full pointers seen: caller's key -> referent id */
    const void *full_key[WMGW_NDR_MAX_FULL];
    uint32_t full_id[WMGW_NDR_MAX_FULL];
};

/* Stub data is appended to buf from its current end (its alignment origin). */
void wmgw_ndr_writer_init(struct wmgw_ndr_writer *w, struct wmgw_buf *buf, struct wmgw_err *err);
int wmgw_ndr_align(struct wmgw_ndr_writer *w, size_t n); /* zero octets up to a multiple of n */
int wmgw_ndr_put_u8(struct wmgw_ndr_writer *w, uint8_t v);
int wmgw_ndr_put_u16(struct wmgw_ndr_writer *w, uint16_t v);  /* short */
int wmgw_ndr_put_u32(struct wmgw_ndr_writer *w, uint32_t v);  /* long; also a [v1_enum] */
int wmgw_ndr_put_enum(struct wmgw_ndr_writer *w, unsigned v); /* NDR enum: 16 bits, 0..32767 */
int wmgw_ndr_put_u64(struct wmgw_ndr_writer *w, uint64_t v);  /* hyper, 8-aligned */
int wmgw_ndr_put_bytes(struct wmgw_ndr_writer *w, const void *p, size_t n); /* no alignment */
int wmgw_ndr_put_uuid(struct wmgw_ndr_writer *w, const struct wmgw_uuid *u);
/* A [unique] (or [ptr] without aliases) pointer: 0, or the next referent id. */
int wmgw_ndr_put_unique(struct wmgw_ndr_writer *w, bool present);
/* A [ptr] (full) pointer identified by key (NULL = null pointer): the same
 * key gets the same referent id; *pointee says whether this is its first
 * occurrence, whose pointee the caller must marshal. */
int wmgw_ndr_put_full(struct wmgw_ndr_writer *w, const void *key, bool *pointee);
/* Conformant array header (max_count), varying header (offset, actual_count). */
int wmgw_ndr_put_conformance(struct wmgw_ndr_writer *w, uint32_t max_count);
int wmgw_ndr_put_variance(struct wmgw_ndr_writer *w, uint32_t offset, uint32_t actual);
/* [size_is(n)] byte / unsigned short arrays, conformance included. */
int wmgw_ndr_put_carray_u8(struct wmgw_ndr_writer *w, const uint8_t *p, uint32_t n);
int wmgw_ndr_put_carray_u16(struct wmgw_ndr_writer *w, const uint16_t *p, uint32_t n);
/* [string] wchar_t[] from UTF-8: max_count = actual_count = characters + NUL. */
int wmgw_ndr_put_wstr(struct wmgw_ndr_writer *w, const char *utf8);
/* [string, unique] wchar_t *: NULL writes a null pointer; else referent id + string. */
int wmgw_ndr_put_wstr_ptr(struct wmgw_ndr_writer *w, const char *utf8);
/* A BSTR parameter (MS-OAUT 2.2.23: [unique] FLAGGED_WORD_BLOB *): referent
 * id, max_count, cBytes, clSize, UTF-16 data.  NULL is sent as MS-OAUT's
 * null BSTR (cBytes 0xFFFFFFFF, clSize 0), not as a null pointer. */
int wmgw_ndr_put_bstr(struct wmgw_ndr_writer *w, const char *utf8);
/* The FLAGGED_WORD_BLOB alone, for an embedded BSTR whose pointee is deferred. */
int wmgw_ndr_put_bstr_blob(struct wmgw_ndr_writer *w, const char *utf8);

struct wmgw_ndr_reader {
    const uint8_t *data;
    size_t len, off; /* alignment counts from data[0] */
    int rc;
    struct wmgw_err *err;
    unsigned depth;
    size_t n_full;   /* full-pointer referent ids already seen */
    uint32_t full_id[WMGW_NDR_MAX_FULL];
};

void wmgw_ndr_reader_init(struct wmgw_ndr_reader *r, const uint8_t *data, size_t len, struct wmgw_err *err);
/* Sets the sticky error: WMGW_EPROTO "<field>: <what>" at the current offset. */
int wmgw_ndr_fail(struct wmgw_ndr_reader *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wmgw_ndr_skip_align(struct wmgw_ndr_reader *r, size_t n, const char *field);
int wmgw_ndr_get_u8(struct wmgw_ndr_reader *r, uint8_t *v, const char *field);
int wmgw_ndr_get_u16(struct wmgw_ndr_reader *r, uint16_t *v, const char *field);
int wmgw_ndr_get_u32(struct wmgw_ndr_reader *r, uint32_t *v, const char *field);
int wmgw_ndr_get_u64(struct wmgw_ndr_reader *r, uint64_t *v, const char *field);
int wmgw_ndr_get_enum(struct wmgw_ndr_reader *r, uint16_t *v, const char *field); /* refuses > 32767 */
int wmgw_ndr_get_bytes(struct wmgw_ndr_reader *r, const uint8_t **p, size_t n, const char *field);
int wmgw_ndr_get_uuid(struct wmgw_ndr_reader *r, struct wmgw_uuid *u, const char *field);
int wmgw_ndr_get_unique(struct wmgw_ndr_reader *r, bool *present, const char *field);
/* Full pointer: *present false for null; *pointee true when the referent id
 * is new (its pointee follows), false for an alias of an earlier one. */
int wmgw_ndr_get_full(struct wmgw_ndr_reader *r, bool *present, bool *pointee, const char *field);
/* max_count, refused above limit or above what the rest of the input could
 * hold at elem_size bytes per element. */
int wmgw_ndr_get_conformance(struct wmgw_ndr_reader *r, uint32_t *max_count, uint32_t limit, size_t elem_size,
                             const char *field);
/* offset and actual_count, refused unless offset + actual_count <= max_count. */
int wmgw_ndr_get_variance(struct wmgw_ndr_reader *r, uint32_t *offset, uint32_t *actual, uint32_t max_count,
                          const char *field);
int wmgw_ndr_get_carray_u8(struct wmgw_ndr_reader *r, const uint8_t **p, uint32_t *n, uint32_t limit,
                           const char *field);
/* n u16 values (UTF-16LE code units), pointing into the input. */
int wmgw_ndr_get_carray_u16(struct wmgw_ndr_reader *r, const uint8_t **p, uint32_t *n, uint32_t limit,
                            const char *field);
/* [string] wchar_t[]: offset 0, NUL-terminated, no NUL inside; appended to
 * utf8 (bounded by utf8->max), unpaired surrogates become U+FFFD. */
int wmgw_ndr_get_wstr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, const char *field);
int wmgw_ndr_get_wstr_ptr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field);
/* BSTR: *present false for a null pointer or MS-OAUT's null BSTR; the
 * counts must agree (max_count = clSize = cBytes / 2, cBytes even). */
int wmgw_ndr_get_bstr(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field);
int wmgw_ndr_get_bstr_blob(struct wmgw_ndr_reader *r, struct wmgw_buf *utf8, bool *present, const char *field);
/* Nesting guard for recursive structures: fails past WMGW_NDR_MAX_DEPTH. */
int wmgw_ndr_enter(struct wmgw_ndr_reader *r, const char *field);
void wmgw_ndr_leave(struct wmgw_ndr_reader *r);
/* 0 when every byte was consumed, else WMGW_EPROTO naming what follows. */
int wmgw_ndr_expect_end(struct wmgw_ndr_reader *r, const char *what);

/* UTF-16LE code units <-> UTF-8, shared with ndr_dcom.c. */
int wmgw_ndr_utf16_to_utf8(const uint8_t *le, size_t units, struct wmgw_buf *out);
/* Appends the UTF-16LE form of utf8[0..len); *units gets the count.
 * WMGW_EINVAL for ill-formed UTF-8. */
int wmgw_ndr_utf8_to_utf16(const char *utf8, size_t len, struct wmgw_buf *out, size_t *units);

#endif
