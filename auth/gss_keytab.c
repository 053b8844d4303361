/*
 * gss_keytab.c: keytab bytes (what the vault keeps) into a MEMORY: keytab,
 * so that keys never touch a file.
 *
 * The bytes are MIT's keytab file format, version 0x502 (what ktutil,
 * kadmin and Windows' ktpass write): after the two version bytes, records
 * of a signed 32-bit big-endian size (negative: a hole of that many bytes
 * to skip; zero: the end), each holding a principal (component count,
 * realm and components as 16-bit counted strings, 32-bit name type), a
 * timestamp, an 8-bit key version, the key (16-bit enctype, counted key
 * bytes) and optionally a 32-bit key version that overrides the 8-bit
 * one.  Every length is checked against its record and the record
 * against the input; counts are limited.
 *
 * SECURITY
 *      The input holds keys: nothing of it goes into messages except
 *      positions and counts; the principal strings built for
 *      krb5_parse_name are wiped, and MIT wipes the keys it copies.
 */
#include "auth/gss_int.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENTRIES 4096
#define MAX_COMPONENTS 16

struct rd {
    const uint8_t *p;
    size_t off, end; /* read within [off, end) */
};

static bool take(struct rd *r, size_t n, const uint8_t **out)
{
    if (r->end - r->off < n)
        return false;
    *out = r->p + r->off;
    r->off += n;
    return true;
}

static bool u16(struct rd *r, uint16_t *v)
{
    const uint8_t *b;
    if (!take(r, 2, &b))
        return false;
    *v = (uint16_t)(b[0] << 8 | b[1]);
    return true;
}

static bool u32(struct rd *r, uint32_t *v)
{
    const uint8_t *b;
    if (!take(r, 4, &b))
        return false;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return true;
}

static bool counted(struct rd *r, const uint8_t **p, size_t *len)
{
    uint16_t n;
    if (!u16(r, &n) || !take(r, n, p))
        return false;
    *len = n;
    return true;
}

/* One record, r limited to it. */
static int parse_entry(struct rd *r, struct wmgw__gss_kt_entry *e, struct wmgw_err *err)
{
    uint16_t ncomp;
    const uint8_t *b;
    memset(e, 0, sizeof(*e));
    if (!u16(r, &ncomp))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off, "keytab: truncated principal");
    if (ncomp == 0 || ncomp > MAX_COMPONENTS)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off - 2,
                               "keytab: %u principal components (1 to %d allowed)", ncomp, MAX_COMPONENTS);
    if (!counted(r, &e->realm, &e->realm_len))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off, "keytab: truncated realm");
    e->ncomp = ncomp;
    for (size_t i = 0; i < ncomp; i++) {
        if (!counted(r, &e->comp[i], &e->comp_len[i]))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off, "keytab: truncated principal component");
    }
    if (!u32(r, &e->name_type) || !u32(r, &e->timestamp) || !take(r, 1, &b))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off, "keytab: truncated entry header");
    e->kvno = b[0];
    if (!u16(r, &e->enctype) || !counted(r, &e->key, &e->key_len))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off, "keytab: truncated key");
    if (e->key_len == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->off - 2, "keytab: empty key");
    uint32_t kvno32;
    /* The 32-bit version is there when the record has room for it; a zero
     * one means "use the 8-bit one" (MIT). */
    if (r->end - r->off >= 4 && u32(r, &kvno32) && kvno32 != 0)
        e->kvno = kvno32;
    return 0;
}

int wmgw__gss_keytab_parse(const uint8_t *p, size_t len,
                           int (*fn)(void *arg, const struct wmgw__gss_kt_entry *e, struct wmgw_err *err), void *arg,
                           struct wmgw_err *err)
{
    if (len > WMGW_GSS_MAX_KEYTAB)
        return wmgw_err_set_at(err, WMGW_ETOOBIG, WMGW_GSS_MAX_KEYTAB, "keytab: more than %d bytes",
                               WMGW_GSS_MAX_KEYTAB);
    if (len < 2 || p[0] != 0x05)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "keytab: not a keytab (no 0x05 version byte)");
    if (p[1] != 0x02)
        return wmgw_err_set_at(err, WMGW_EINVAL, 1, "keytab: version 0x05%02x not supported (0x0502 only)", p[1]);
    struct rd r = {.p = p, .off = 2, .end = len};
    size_t entries = 0;
    while (r.off < len) {
        uint32_t size32;
        size_t at = r.off;
        if (!u32(&r, &size32))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "keytab: truncated record size");
        int32_t size = (int32_t)size32;
        if (size == 0)
            break; /* the end, as MIT writes it after deletions */
        size_t n = size < 0 ? (size_t)(-(int64_t)size) : (size_t)size;
        if (n > len - r.off)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "keytab: record of %zu bytes past the end", n);
        if (size < 0) {
            r.off += n; /* a hole left by a deleted entry */
            continue;
        }
        if (++entries > MAX_ENTRIES)
            return wmgw_err_set_at(err, WMGW_ETOOBIG, (long)at, "keytab: more than %d entries", MAX_ENTRIES);
        struct rd rec = {.p = p, .off = r.off, .end = r.off + n};
        struct wmgw__gss_kt_entry e;
        int rc = parse_entry(&rec, &e, err);
        if (rc == 0)
            rc = fn(arg, &e, err);
        if (rc != 0)
            return rc;
        r.off += n;
    }
    if (entries == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)len, "keytab: no keys");
    return 0;
}

/* ---- loading into a MEMORY: keytab ---- */

/* Appends s[0..n) to the principal string with the escapes of
 * krb5_parse_name, so that '/', '@' and '\' inside a component stay in it. */
static bool put_escaped(char *out, size_t cap, size_t *pos, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char esc = 0;
        switch (s[i]) {
        case '/': case '@': case '\\': esc = (char)s[i]; break;
        case '\n': esc = 'n'; break;
        case '\t': esc = 't'; break;
        case '\b': esc = 'b'; break;
        case '\0': esc = '0'; break;
        default: break;
        }
        if (*pos + 3 > cap)
            return false;
        if (esc != 0) {
            out[(*pos)++] = '\\';
            out[(*pos)++] = esc;
        } else {
            out[(*pos)++] = (char)s[i];
        }
    }
    out[*pos] = '\0';
    return true;
}

struct load {
    krb5_context kctx;
    krb5_keytab kt;
};

static int add_entry(void *arg, const struct wmgw__gss_kt_entry *e, struct wmgw_err *err)
{
    struct load *l = arg;
    char name[4 * WMGW_GSS_MAX_NAME];
    size_t pos = 0;
    bool ok = true;
    for (size_t i = 0; i < e->ncomp && ok; i++) {
        if (i > 0 && pos + 2 < sizeof(name))
            name[pos++] = '/';
        ok = put_escaped(name, sizeof(name), &pos, e->comp[i], e->comp_len[i]);
    }
    if (ok && pos + 2 < sizeof(name)) {
        name[pos++] = '@';
        ok = put_escaped(name, sizeof(name), &pos, e->realm, e->realm_len);
    } else {
        ok = false;
    }
    if (!ok)
        return wmgw_err_set(err, WMGW_EINVAL, "keytab: principal name too long");
    krb5_keytab_entry ent;
    memset(&ent, 0, sizeof(ent));
    krb5_error_code code = krb5_parse_name(l->kctx, name, &ent.principal);
    OPENSSL_cleanse(name, sizeof(name));
    if (code != 0)
        return wmgw__gss_krb5_error(err, WMGW_EINVAL, l->kctx, code, "keytab: principal");
    ent.principal->type = (krb5_int32)e->name_type;
    ent.timestamp = (krb5_timestamp)e->timestamp;
    ent.vno = e->kvno;
    ent.key.magic = KV5M_KEYBLOCK;
    ent.key.enctype = e->enctype;
    ent.key.length = (unsigned)e->key_len;
    ent.key.contents = (krb5_octet *)e->key; /* copied by add_entry */
    code = krb5_kt_add_entry(l->kctx, l->kt, &ent);
    krb5_free_principal(l->kctx, ent.principal);
    if (code != 0)
        return wmgw__gss_krb5_error(err, WMGW_EINTERNAL, l->kctx, code, "keytab: adding a key");
    return 0;
}

int wmgw__gss_keytab_load(krb5_context kctx, const uint8_t *p, size_t len, krb5_keytab *out, struct wmgw_err *err)
{
    static atomic_uint counter;
    uint8_t rnd[8];
    char name[96];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return wmgw_err_set(err, WMGW_EINTERNAL, "keytab: no randomness for a unique name");
    snprintf(name, sizeof(name), "MEMORY:wmgw-kt-%ld-%u-%02x%02x%02x%02x%02x%02x%02x%02x", (long)getpid(),
             atomic_fetch_add(&counter, 1), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    struct load l = {.kctx = kctx};
    krb5_error_code code = krb5_kt_resolve(kctx, name, &l.kt);
    if (code != 0)
        return wmgw__gss_krb5_error(err, WMGW_EINTERNAL, kctx, code, "keytab: creating a MEMORY keytab");
    int rc = wmgw__gss_keytab_parse(p, len, add_entry, &l, err);
    if (rc != 0) {
        krb5_kt_close(kctx, l.kt); /* the last handle: MIT frees the keys */
        return rc;
    }
    *out = l.kt;
    return 0;
}
