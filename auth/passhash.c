/*
 * passhash.c: scrypt password hashes in PHC string form: hash, verify and
 * the strict parser of stored strings (passhash.h).  The verification
 * cache is in passhash_cache.c.
 *
 * Place in the request flow: auth/authn checks HTTP Basic against the
 * gateway's user table with wmgw_passhash_cache_verify(), which lands here
 * on a cache miss.
 *
 * SECURITY
 *      Stored strings come from the configuration and are not trusted to be
 *      well formed or cheap: the parser bounds every field and the cost
 *      before any KDF runs.  The KDF's output is wiped after comparison.
 *      OpenSSL copies the password into its KDF context and clears that
 *      copy when the context is freed.
 */
#include "auth/passhash.h"
#include "util/base64.h"
#include "util/buf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

const struct wmgw_passhash_params wmgw_passhash_defaults = {.ln = 15, .r = 8, .p = 1};

#define PREFIX "$scrypt$"
#define MIN_SALT 8
#define MIN_HASH 16

static int check_params(const struct wmgw_passhash_params *p, long pos, struct wmgw_err *err)
{
    if (p->ln < WMGW_PASSHASH_MIN_LN)
        return wmgw_err_set_at(err, WMGW_EINVAL, pos, "scrypt ln=%u is too weak (at least %d)", p->ln,
                               WMGW_PASSHASH_MIN_LN);
    if (p->ln > WMGW_PASSHASH_MAX_LN || p->r < 1 || p->r > WMGW_PASSHASH_MAX_R || p->p < 1 ||
        p->p > WMGW_PASSHASH_MAX_P)
        return wmgw_err_set_at(err, WMGW_EINVAL, pos,
                               "scrypt parameters ln=%u,r=%u,p=%u outside ln %d..%d, r 1..%d, p 1..%d", p->ln,
                               p->r, p->p, WMGW_PASSHASH_MIN_LN, WMGW_PASSHASH_MAX_LN, WMGW_PASSHASH_MAX_R,
                               WMGW_PASSHASH_MAX_P);
    uint64_t n = 1ull << p->ln;
    if (128 * n * p->r > WMGW_PASSHASH_MAX_MEMORY || n * p->r * p->p > WMGW_PASSHASH_MAX_WORK)
        return wmgw_err_set_at(err, WMGW_EINVAL, pos, "scrypt parameters ln=%u,r=%u,p=%u cost more than allowed",
                               p->ln, p->r, p->p);
    return 0;
}

int wmgw_passhash_scrypt(const void *password, size_t len, const void *salt, size_t salt_len,
                         const struct wmgw_passhash_params *params, uint8_t *out, size_t out_len,
                         struct wmgw_err *err)
{
    /* Wide enough for any test vector; narrow enough that the sizes below
     * cannot overflow (128 * 2^16 * (2^32 + 2) < 2^56). */
    if (params->ln < 1 || params->ln > 32 || params->r < 1 || params->p < 1 || params->r > 65536 ||
        params->p > 65536)
        return wmgw_err_set(err, WMGW_EINVAL, "scrypt parameters out of range");
    uint64_t n = 1ull << params->ln;
    /* What OpenSSL allocates: V (128 r (N + 2)) and B (128 r p), plus slack. */
    uint64_t maxmem = 128ull * params->r * (n + 2) + 128ull * params->r * params->p + 65536;
    uint32_t r = params->r, p = params->p;
    /* An empty password or salt still needs a non-NULL pointer for OpenSSL. */
    static const char empty[1] = "";
    OSSL_PARAM ps[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(len ? password : empty), len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(salt_len ? salt : empty), salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, ps) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        return wmgw_err_set(err, kdf ? WMGW_ENOMEM : WMGW_EINTERNAL, "scrypt failed (%s)",
                            kdf ? "out of memory or refused parameters" : "OpenSSL has no SCRYPT KDF");
    }
    return 0;
}

/* ---- the stored string ---- */

struct cursor {
    const char *s;
    size_t n, i;
};

static bool eat(struct cursor *c, const char *lit)
{
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->s + c->i, lit, k) != 0)
        return false;
    c->i += k;
    return true;
}

/* "<name>=<decimal>": no sign, no leading zero, at most 3 digits. */
static int number(struct cursor *c, const char *name, unsigned *out, struct wmgw_err *err)
{
    char lit[8];
    snprintf(lit, sizeof(lit), "%s=", name);
    if (!eat(c, lit))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)c->i, "expected \"%s\" in scrypt parameters", lit);
    size_t start = c->i;
    unsigned v = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9' && c->i - start < 3)
        v = v * 10 + (unsigned)(c->s[c->i++] - '0');
    size_t digits = c->i - start;
    if (digits == 0 || (digits > 1 && c->s[start] == '0') ||
        (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9'))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "%s must be a number from 1 to 999 without leading zeros",
                               name);
    *out = v;
    return 0;
}

/* Standard base64 without padding, up to the next '$' or the end. */
static int field_b64(struct cursor *c, const char *what, size_t min, uint8_t *out, size_t *out_len,
                     struct wmgw_err *err)
{
    size_t start = c->i;
    while (c->i < c->n && c->s[c->i] != '$')
        c->i++;
    size_t len = c->i - start;
    char padded[WMGW_PASSHASH_MAX_STRING + 4];
    if (len > WMGW_PASSHASH_MAX_STRING || memchr(c->s + start, '=', len) != NULL || len % 4 == 1)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "%s is not unpadded base64", what);
    memcpy(padded, c->s + start, len);
    size_t plen = len;
    while (plen % 4 != 0)
        padded[plen++] = '=';
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_PASSHASH_MAX_BYTES);
    int rc = wmgw_base64_decode(&b, padded, plen, WMGW_BASE64_STD);
    if (rc == 0 && (b.len < min || b.len > WMGW_PASSHASH_MAX_BYTES))
        rc = WMGW_ETOOBIG;
    if (rc == WMGW_ETOOBIG)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "%s must be %zu to %d bytes", what, min,
                             WMGW_PASSHASH_MAX_BYTES);
    else if (rc != 0)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "%s is not canonical base64", what);
    else {
        memcpy(out, b.data, b.len);
        *out_len = b.len;
    }
    wmgw_buf_dispose(&b);
    return rc;
}

int wmgw_passhash_parse(const char *s, size_t n, struct wmgw_passhash *out, struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (n > WMGW_PASSHASH_MAX_STRING)
        return wmgw_err_set_at(err, WMGW_EINVAL, WMGW_PASSHASH_MAX_STRING, "password hash longer than %d bytes",
                               WMGW_PASSHASH_MAX_STRING);
    struct cursor c = {s, n, 0};
    if (!eat(&c, PREFIX))
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "password hash does not start with \"" PREFIX "\"");
    size_t params_at = c.i;
    int rc = number(&c, "ln", &out->params.ln, err);
    if (rc == 0 && !eat(&c, ","))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.i, "expected \",\" after ln");
    if (rc == 0)
        rc = number(&c, "r", &out->params.r, err);
    if (rc == 0 && !eat(&c, ","))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.i, "expected \",\" after r");
    if (rc == 0)
        rc = number(&c, "p", &out->params.p, err);
    if (rc == 0 && !eat(&c, "$"))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.i, "expected \"$\" after the parameters");
    if (rc == 0)
        rc = check_params(&out->params, (long)params_at, err);
    if (rc == 0)
        rc = field_b64(&c, "salt", MIN_SALT, out->salt, &out->salt_len, err);
    if (rc == 0 && !eat(&c, "$"))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.i, "expected \"$\" after the salt");
    if (rc == 0)
        rc = field_b64(&c, "hash", MIN_HASH, out->hash, &out->hash_len, err);
    if (rc == 0 && c.i != n)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.i, "unexpected text after the hash");
    return rc;
}

/* Appends unpadded standard base64 (PHC's spelling). */
static int add_b64(struct wmgw_buf *b, const uint8_t *p, size_t n)
{
    int rc = wmgw_base64_encode(b, p, n, WMGW_BASE64_STD);
    while (rc == 0 && b->len > 0 && b->data[b->len - 1] == '=')
        b->data[--b->len] = '\0';
    return rc;
}

int wmgw_passhash_hash(const char *password, size_t len, const struct wmgw_passhash_params *params, char *out,
                       size_t cap, struct wmgw_err *err)
{
    if (params == NULL)
        params = &wmgw_passhash_defaults;
    if (cap > 0)
        out[0] = '\0';
    if (len > WMGW_PASSHASH_MAX_PASSWORD)
        return wmgw_err_set(err, WMGW_EINVAL, "password longer than %d bytes", WMGW_PASSHASH_MAX_PASSWORD);
    int rc = check_params(params, -1, err);
    if (rc != 0)
        return rc;
    uint8_t salt[WMGW_PASSHASH_SALT_LEN], hash[WMGW_PASSHASH_HASH_LEN];
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return wmgw_err_set(err, WMGW_EINTERNAL, "no random bytes for a salt");
    rc = wmgw_passhash_scrypt(password, len, salt, sizeof(salt), params, hash, sizeof(hash), err);
    if (rc != 0)
        return rc;
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_PASSHASH_MAX_STRING);
    rc = wmgw_buf_printf(&b, PREFIX "ln=%u,r=%u,p=%u$", params->ln, params->r, params->p);
    if (rc == 0)
        rc = add_b64(&b, salt, sizeof(salt));
    if (rc == 0)
        rc = wmgw_buf_addc(&b, '$');
    if (rc == 0)
        rc = add_b64(&b, hash, sizeof(hash));
    OPENSSL_cleanse(hash, sizeof(hash));
    if (rc == 0 && b.len >= cap)
        rc = WMGW_ETOOBIG;
    if (rc == 0)
        memcpy(out, b.data, b.len + 1);
    else
        wmgw_err_set(err, rc, "password hash does not fit in %zu bytes", cap);
    wmgw_buf_dispose(&b);
    return rc;
}

int wmgw_passhash_verify(const char *stored, const char *password, size_t len, struct wmgw_err *err)
{
    struct wmgw_passhash ph;
    int rc = wmgw_passhash_parse(stored, strnlen(stored, WMGW_PASSHASH_MAX_STRING + 1), &ph, err);
    if (rc != 0)
        return rc;
    if (len > WMGW_PASSHASH_MAX_PASSWORD)
        return wmgw_err_set(err, WMGW_EAUTH, "wrong password");
    uint8_t got[WMGW_PASSHASH_MAX_BYTES];
    rc = wmgw_passhash_scrypt(password, len, ph.salt, ph.salt_len, &ph.params, got, ph.hash_len, err);
    if (rc == 0 && CRYPTO_memcmp(got, ph.hash, ph.hash_len) != 0)
        rc = wmgw_err_set(err, WMGW_EAUTH, "wrong password");
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}
