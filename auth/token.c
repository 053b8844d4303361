/*
 * token.c: bearer API tokens: make one, parse what a caller presents, hash
 * it, find it among the stored hashes (token.h).
 *
 * Place in the request flow: auth/authn takes "Authorization: Bearer <t>"
 * and asks wmgw_token_find() which configured token (if any) it is.
 *
 * SECURITY
 *      The parser reads at most WMGW_TOKEN_LEN bytes of anything and looks
 *      at each byte once.  Hashes are compared in constant time.  Buffers
 *      that held a token or its random bytes are wiped before return.
 */
#include "auth/token.h"
#include "util/base64.h"
#include "util/buf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#define PREFIX_LEN (sizeof(WMGW_TOKEN_PREFIX) - 1)

static bool is_url64(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_';
}

int wmgw_token_parse(const char *s, size_t n, struct wmgw_err *err)
{
    if (n != WMGW_TOKEN_LEN)
        return wmgw_err_set_at(err, WMGW_EINVAL, n < WMGW_TOKEN_LEN ? (long)n : WMGW_TOKEN_LEN,
                               "a token is %d characters, not %zu", WMGW_TOKEN_LEN, n);
    if (memcmp(s, WMGW_TOKEN_PREFIX, PREFIX_LEN) != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "a token starts with \"" WMGW_TOKEN_PREFIX "\"");
    for (size_t i = PREFIX_LEN; i < n; i++)
        if (!is_url64(s[i]))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "character outside the token alphabet");
    /* 43 characters carry 258 bits: the last two must be zero. */
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_TOKEN_RANDOM_BYTES);
    int rc = wmgw_base64_decode(&b, s + PREFIX_LEN, n - PREFIX_LEN, WMGW_BASE64_URL);
    if (rc == 0 && b.len != WMGW_TOKEN_RANDOM_BYTES)
        rc = WMGW_EINVAL;
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.cap);
    wmgw_buf_dispose(&b);
    if (rc != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)n - 1, "token is not canonical base64url");
    return 0;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int wmgw_token_hash(const char *s, size_t n, char hash[WMGW_TOKEN_HASH_LEN + 1], struct wmgw_err *err)
{
    hash[0] = '\0';
    int rc = wmgw_token_parse(s, n, err);
    if (rc != 0)
        return rc;
    unsigned char md[32];
    if (EVP_Q_digest(NULL, "SHA256", NULL, s, n, md, NULL) != 1)
        return wmgw_err_set(err, WMGW_EINTERNAL, "SHA-256 failed");
    hex(md, sizeof(md), hash);
    return 0;
}

int wmgw_token_new(char token[WMGW_TOKEN_LEN + 1], char hash[WMGW_TOKEN_HASH_LEN + 1], struct wmgw_err *err)
{
    unsigned char raw[WMGW_TOKEN_RANDOM_BYTES];
    token[0] = hash[0] = '\0';
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return wmgw_err_set(err, WMGW_EINTERNAL, "no random bytes for a token");
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_TOKEN_LEN);
    int rc = wmgw_buf_add(&b, WMGW_TOKEN_PREFIX, PREFIX_LEN);
    if (rc == 0)
        rc = wmgw_base64_encode(&b, raw, sizeof(raw), WMGW_BASE64_URL);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (rc == 0 && b.len == WMGW_TOKEN_LEN) {
        memcpy(token, b.data, WMGW_TOKEN_LEN + 1);
        rc = wmgw_token_hash(token, WMGW_TOKEN_LEN, hash, err);
    } else {
        rc = wmgw_err_set(err, rc ? rc : WMGW_EINTERNAL, "cannot encode a token");
    }
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.cap);
    wmgw_buf_dispose(&b);
    if (rc != 0)
        OPENSSL_cleanse(token, WMGW_TOKEN_LEN + 1);
    return rc;
}

int wmgw_token_parse_hash(const char *s, struct wmgw_err *err)
{
    for (size_t i = 0; i < WMGW_TOKEN_HASH_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i,
                                   "a token hash is %d lowercase hexadecimal digits (SHA-256)", WMGW_TOKEN_HASH_LEN);
    if (s[WMGW_TOKEN_HASH_LEN] != '\0')
        return wmgw_err_set_at(err, WMGW_EINVAL, WMGW_TOKEN_HASH_LEN, "a token hash is %d characters",
                               WMGW_TOKEN_HASH_LEN);
    return 0;
}

int wmgw_token_find(const char *s, size_t len, const char *const *hashes, size_t n, size_t *index,
                    struct wmgw_err *err)
{
    char mine[WMGW_TOKEN_HASH_LEN + 1];
    if (wmgw_token_hash(s, len, mine, NULL) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "not a wmgw API token");
    size_t found = 0;
    unsigned char any = 0;
    for (size_t i = 0; i < n; i++) {
        /* The length check only reveals the shape of the configuration. */
        bool well_formed = hashes[i] != NULL && strnlen(hashes[i], WMGW_TOKEN_HASH_LEN + 1) == WMGW_TOKEN_HASH_LEN;
        unsigned char eq = well_formed && CRYPTO_memcmp(hashes[i], mine, WMGW_TOKEN_HASH_LEN) == 0;
        /* Branch-free select: remember the first match without an early exit. */
        size_t take = (size_t)0 - (size_t)(eq & (any ^ 1));
        found = (found & ~take) | (i & take);
        any |= eq;
    }
    OPENSSL_cleanse(mine, sizeof(mine));
    if (!any)
        return wmgw_err_set(err, WMGW_EAUTH, "unknown API token");
    *index = found;
    return 0;
}
