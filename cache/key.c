/*
 * key.c: cache keys (cache.h "KEYS").
 *
 * Every field that can change an answer goes through one unambiguous
 * encoding, then SHA-256:
 *
 *   byte 1 (version)
 *   host, ns, kind name, target, credential: u32 big-endian length, bytes
 *   props, params: u32 count, then each string as above
 *
 * Lengths, not separators, delimit fields, so no choice of bytes in one
 * field can imitate another field (wmgw__key_decode proves the encoding
 * reversible, and the fuzz target checks it).  The credential is a field
 * like the others: callers mapped to different credentials never meet in
 * one entry.  The stored key keeps the host readable: it is escaped to
 * [A-Za-z0-9._-] and %XX, which is reversible and never contains ':', the
 * separator of the stored key's parts.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include <openssl/sha.h>
#include <string.h>

#define KEY_VERSION 1

static const char *const kind_names[] = {
    [WMGW_CACHE_INSTANCE] = "instance",
    [WMGW_CACHE_ENUMERATION] = "enumeration",
    [WMGW_CACHE_QUERY] = "query",
    [WMGW_CACHE_ASSOCIATORS] = "associators",
    [WMGW_CACHE_REFERENCES] = "references",
    [WMGW_CACHE_CLASS] = "class",
    [WMGW_CACHE_OTHER] = "other",
};
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

const char *wmgw_cache_kind_name(enum wmgw_cache_kind k)
{
    return (unsigned)k < NKINDS ? kind_names[k] : "?";
}

static int put_u32(struct wmgw_buf *out, size_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    return wmgw_buf_add(out, b, 4);
}

static int put_str(struct wmgw_buf *out, const char *s, size_t max, const char *what, struct wmgw_err *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n > max)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: %s is longer than %zu bytes", what, max);
    int rc = put_u32(out, n);
    return rc == 0 && n > 0 ? wmgw_buf_add(out, s, n) : rc;
}

static int put_list(struct wmgw_buf *out, const char *const *v, size_t n, const char *what, struct wmgw_err *err)
{
    if (n > WMGW_CACHE_LIST_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: more than %d %s", WMGW_CACHE_LIST_MAX, what);
    int rc = put_u32(out, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = put_str(out, v[i], WMGW_CACHE_FIELD_MAX, what, err);
    return rc;
}

int wmgw__key_encode(const struct wmgw_cache_key *k, struct wmgw_buf *out, struct wmgw_err *err)
{
    if ((unsigned)k->kind >= NKINDS)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: unknown kind %d", (int)k->kind);
    if (k->nprops > 0 && k->props == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: properties missing");
    if (k->nparams > 0 && k->params == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: parameters missing");
    int rc = wmgw_buf_addc(out, KEY_VERSION);
    if (rc == 0)
        rc = put_str(out, k->host, WMGW_CACHE_HOST_MAX, "host", err);
    if (rc == 0)
        rc = put_str(out, k->ns, WMGW_CACHE_FIELD_MAX, "namespace", err);
    if (rc == 0)
        rc = put_str(out, kind_names[k->kind], WMGW_CACHE_FIELD_MAX, "kind", err);
    if (rc == 0)
        rc = put_str(out, k->target, WMGW_CACHE_FIELD_MAX, "target", err);
    if (rc == 0)
        rc = put_str(out, k->credential, WMGW_CACHE_FIELD_MAX, "credential", err);
    if (rc == 0)
        rc = put_list(out, k->props, k->nprops, "properties", err);
    if (rc == 0)
        rc = put_list(out, k->params, k->nparams, "parameters", err);
    if (rc == WMGW_ETOOBIG || rc == WMGW_ENOMEM)
        return wmgw_err_set(err, rc, "cache key: cannot encode (%s)", wmgw_err_summary(rc));
    return rc;
}

int wmgw__key_host(const char *host, char out[WMGW_CACHE_HOST_MAX * 3 + 1], struct wmgw_err *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n > WMGW_CACHE_HOST_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "cache key: the host name must have 1 to %d bytes",
                            WMGW_CACHE_HOST_MAX);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
            c == '_') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

int wmgw__key_make(const struct wmgw_cache_key *k, struct wmgw__ckey *out, struct wmgw_err *err)
{
    static const char hex[] = "0123456789abcdef";
    int rc = wmgw__key_host(k->host, out->host, err);
    if (rc != 0)
        return rc;
    struct wmgw_buf enc;
    /* the fields' own limits bound it; this only stops a runaway */
    wmgw_buf_init(&enc, (size_t)64 << 20);
    rc = wmgw__key_encode(k, &enc, err);
    if (rc == 0) {
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)enc.data, enc.len, md);
        for (int i = 0; i < WMGW_CACHE_DIGEST_HEX / 2; i++) {
            out->digest[2 * i] = hex[md[i] >> 4];
            out->digest[2 * i + 1] = hex[md[i] & 15];
        }
        out->digest[WMGW_CACHE_DIGEST_HEX] = '\0';
    }
    wmgw_buf_dispose(&enc);
    return rc;
}

/* --- decoding (the proof that the encoding is reversible) --------------------------- */

struct reader {
    const unsigned char *p;
    size_t n, at;
};

static int get_u32(struct reader *r, size_t *v, const char *what, struct wmgw_err *err)
{
    if (r->n - r->at < 4)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->at, "cache key: %s: length cut short", what);
    const unsigned char *b = r->p + r->at;
    *v = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
    r->at += 4;
    return 0;
}

static int get_str(struct reader *r, struct wmgw_cache_bytes *s, size_t max, const char *what,
                   struct wmgw_err *err)
{
    size_t n = 0;
    int rc = get_u32(r, &n, what, err);
    if (rc != 0)
        return rc;
    if (n > max)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->at - 4, "cache key: %s longer than %zu", what, max);
    if (n > r->n - r->at)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->at, "cache key: %s cut short", what);
    if (memchr(r->p + r->at, '\0', n) != NULL)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->at, "cache key: %s holds a NUL", what);
    s->data = (const char *)r->p + r->at;
    s->len = n;
    r->at += n;
    return 0;
}

static int get_list(struct reader *r, struct wmgw_cache_bytes *v, size_t *n, const char *what,
                    struct wmgw_err *err)
{
    int rc = get_u32(r, n, what, err);
    if (rc == 0 && *n > WMGW_CACHE_LIST_MAX)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)r->at - 4, "cache key: too many %s", what);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        rc = get_str(r, &v[i], WMGW_CACHE_FIELD_MAX, what, err);
    return rc;
}

int wmgw__key_decode(const void *p, size_t n, struct wmgw__key_view *out, struct wmgw_err *err)
{
    struct reader r = {p, n, 0};
    struct wmgw_cache_bytes kind;
    if (n < 1 || r.p[0] != KEY_VERSION)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "cache key: not version %d", KEY_VERSION);
    r.at = 1;
    int rc = get_str(&r, &out->host, WMGW_CACHE_HOST_MAX, "host", err);
    if (rc == 0)
        rc = get_str(&r, &out->ns, WMGW_CACHE_FIELD_MAX, "namespace", err);
    if (rc == 0)
        rc = get_str(&r, &kind, WMGW_CACHE_FIELD_MAX, "kind", err);
    if (rc == 0) {
        out->kind = NKINDS;
        for (unsigned i = 0; i < NKINDS; i++)
            if (strlen(kind_names[i]) == kind.len && memcmp(kind_names[i], kind.data, kind.len) == 0)
                out->kind = i;
        if (out->kind == NKINDS)
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)(kind.data - (const char *)p), "cache key: unknown kind");
    }
    if (rc == 0)
        rc = get_str(&r, &out->target, WMGW_CACHE_FIELD_MAX, "target", err);
    if (rc == 0)
        rc = get_str(&r, &out->credential, WMGW_CACHE_FIELD_MAX, "credential", err);
    if (rc == 0)
        rc = get_list(&r, out->props, &out->nprops, "properties", err);
    if (rc == 0)
        rc = get_list(&r, out->params, &out->nparams, "parameters", err);
    if (rc == 0 && r.at != n)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)r.at, "cache key: %zu bytes after the last field", n - r.at);
    return rc;
}
