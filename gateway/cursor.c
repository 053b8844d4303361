/*
 * cursor.c: signed paging cursors (cursor.h).
 */
#include "gateway/cursor.h"
#include "util/base64.h"
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
    int rc = wmgw_base64_encode(out, text, strlen(text), WMGW_BASE64_URL);
    if (rc == 0)
        rc = wmgw_buf_addc(out, '.');
    if (rc == 0)
        rc = wmgw_base64_encode(out, mac, MAC_LEN, WMGW_BASE64_URL);
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
    int rc = wmgw_base64_decode(&payload, token, (size_t)(dot - token), WMGW_BASE64_URL);
    if (rc == 0)
        rc = wmgw_base64_decode(&mac, dot + 1, n - (size_t)(dot - token) - 1, WMGW_BASE64_URL);
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
