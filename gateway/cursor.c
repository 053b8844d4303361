/*
 * cursor.c: signed paging cursors (cursor.h).
 */
#include "gateway/cursor.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAC_LEN 16
#define MAX_TOKEN 8192

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_encode(struct wmgw_buf *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {b64url[v >> 18 & 63], b64url[v >> 12 & 63], b64url[v >> 6 & 63], b64url[v & 63]};
        int rc = wmgw_buf_add(out, q, i + 2 < n ? 4 : i + 1 < n ? 3 : 2);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

static int b64_decode(const char *s, size_t n, struct wmgw_buf *out)
{
    if (n % 4 == 1)
        return WMGW_EINVAL;
    for (size_t i = 0; i < n; i += 4) {
        int v[4] = {0, 0, 0, 0}, k;
        size_t m = n - i < 4 ? n - i : 4;
        for (k = 0; k < (int)m; k++)
            if ((v[k] = b64_value(s[i + (size_t)k])) < 0)
                return WMGW_EINVAL;
        /* Canonical only: the bits a short final group does not use must be
         * zero, or two spellings would decode to the same cursor. */
        if ((m == 2 && (v[1] & 0x0F) != 0) || (m == 3 && (v[2] & 0x03) != 0))
            return WMGW_EINVAL;
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        unsigned char b[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        int rc = wmgw_buf_add(out, b, m - 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void mac_of(const unsigned char key[32], const void *msg, size_t len, unsigned char out[32])
{
    unsigned int olen = 32;
    HMAC(EVP_sha256(), key, 32, msg, len, out, &olen);
}

static void set_opt(json_t *o, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, k, json_string(v));
}

int wmgw_cursor_format(struct wmgw_buf *out, const unsigned char key[32], const struct wmgw_cursor *c)
{
    json_t *o = json_object();
    set_opt(o, "h", c->host);
    set_opt(o, "n", c->namespace_);
    set_opt(o, "s", c->scope);
    set_opt(o, "w", c->where);
    set_opt(o, "p", c->select);
    set_opt(o, "q", c->query);
    set_opt(o, "b", c->backend);
    json_object_set_new(o, "e", json_integer((json_int_t)c->expires));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL)
        return WMGW_ENOMEM;
    unsigned char mac[32];
    mac_of(key, text, strlen(text), mac);
    int rc = b64_encode(out, (const unsigned char *)text, strlen(text));
    if (rc == 0)
        rc = wmgw_buf_addc(out, '.');
    if (rc == 0)
        rc = b64_encode(out, mac, MAC_LEN);
    free(text);
    return rc;
}

static char *take(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? strdup(v) : NULL;
}

int wmgw_cursor_parse(const char *token, const unsigned char key[32], struct wmgw_cursor *c, struct wmgw_err *err)
{
    memset(c, 0, sizeof(*c));
    size_t n = strlen(token);
    const char *dot = memchr(token, '.', n);
    if (n > MAX_TOKEN || dot == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "cursor: not a cursor this gateway issued");
    struct wmgw_buf payload, mac;
    wmgw_buf_init(&payload, MAX_TOKEN);
    wmgw_buf_init(&mac, 64);
    int rc = b64_decode(token, (size_t)(dot - token), &payload);
    if (rc == 0)
        rc = b64_decode(dot + 1, n - (size_t)(dot - token) - 1, &mac);
    unsigned char want[32];
    if (rc == 0 && payload.data != NULL)
        mac_of(key, payload.data, payload.len, want);
    /* Constant-time comparison: a forged cursor learns nothing from timing. */
    if (rc != 0 || payload.data == NULL || mac.len != MAC_LEN || CRYPTO_memcmp(want, mac.data, MAC_LEN) != 0) {
        wmgw_buf_dispose(&payload);
        wmgw_buf_dispose(&mac);
        return wmgw_err_set(err, WMGW_EINVAL, "cursor: not a cursor this gateway issued");
    }
    json_t *o = json_loadb(payload.data, payload.len, 0, NULL);
    wmgw_buf_dispose(&payload);
    wmgw_buf_dispose(&mac);
    if (!json_is_object(o)) {
        json_decref(o);
        return wmgw_err_set(err, WMGW_EINVAL, "cursor: malformed");
    }
    c->host = take(o, "h");
    c->namespace_ = take(o, "n");
    c->scope = take(o, "s");
    c->where = take(o, "w");
    c->select = take(o, "p");
    c->query = take(o, "q");
    c->backend = take(o, "b");
    c->expires = (int64_t)json_integer_value(json_object_get(o, "e"));
    json_decref(o);
    if (c->expires < (int64_t)time(NULL)) {
        wmgw_cursor_dispose(c);
        return wmgw_err_set(err, WMGW_EGONE, "cursor: expired; start the listing again");
    }
    return 0;
}

void wmgw_cursor_dispose(struct wmgw_cursor *c)
{
    free(c->host);
    free(c->namespace_);
    free(c->scope);
    free(c->where);
    free(c->select);
    free(c->query);
    free(c->backend);
    memset(c, 0, sizeof(*c));
}
