/*
 * ntlm_crypto.c: the cryptography of MS-NLMP (sections 3.3, 3.4.5, 6):
 * MD4, MD5, HMAC-MD5, RC4, DES and CRC32, and the functions built on them
 * (NTOWFv2, NTProofStr, LMv2, SIGNKEY, SEALKEY; NTLMv1's LMOWF, DESL and
 * KXKEY for the spec's test vectors only).
 *
 * OpenSSL 3 moved MD4, RC4 and single DES to its legacy provider.  We load
 * it, with the default provider, into a library context of our own, once
 * per process, and fetch each algorithm once: the rest of the process keeps
 * OpenSSL's default context, where those algorithms stay unavailable.
 *
 * SECURITY
 *      Keys pass through here by pointer; intermediate buffers that held
 *      key material are wiped before return.  Nothing is logged.
 */
#include "auth/ntlm_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *libctx;
static EVP_MD *md4, *md5;
static EVP_MAC *hmac;
static EVP_CIPHER *rc4, *des_ecb;
static const char *init_failure; /* what was missing, NULL when all is well */

static void init_algorithms(void)
{
    libctx = OSSL_LIB_CTX_new();
    if (libctx == NULL) {
        init_failure = "no OpenSSL library context";
        return;
    }
    if (OSSL_PROVIDER_load(libctx, "default") == NULL) {
        init_failure = "OpenSSL default provider not available";
        return;
    }
    if (OSSL_PROVIDER_load(libctx, "legacy") == NULL) {
        init_failure = "OpenSSL legacy provider (MD4, RC4, DES) not available";
        return;
    }
    md4 = EVP_MD_fetch(libctx, "MD4", NULL);
    md5 = EVP_MD_fetch(libctx, "MD5", NULL);
    hmac = EVP_MAC_fetch(libctx, "HMAC", NULL);
    rc4 = EVP_CIPHER_fetch(libctx, "RC4", NULL);
    des_ecb = EVP_CIPHER_fetch(libctx, "DES-ECB", NULL);
    if (!md4 || !md5 || !hmac || !rc4 || !des_ecb)
        init_failure = "OpenSSL lacks one of MD4, MD5, HMAC, RC4, DES-ECB";
}

int wmgw__ntlm_crypto_init(struct wmgw_err *err)
{
    pthread_once(&init_once, init_algorithms);
    if (init_failure != NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "NTLM: %s", init_failure);
    return 0;
}

static int ready(void)
{
    pthread_once(&init_once, init_algorithms);
    return init_failure == NULL ? 0 : WMGW_ECONFIG;
}

int wmgw__ntlm_random(uint8_t *p, size_t n)
{
    if (ready() != 0 || RAND_bytes_ex(libctx, p, n, 0) != 1)
        return WMGW_EINTERNAL;
    return 0;
}

uint64_t wmgw__ntlm_filetime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* 11644473600 s from 1601-01-01 to 1970-01-01 */
    return ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u + (uint64_t)ts.tv_nsec / 100u;
}

static int digest(const EVP_MD *md, const struct wmgw__ntlm_iov *v, size_t n, uint8_t out[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = v[i].len == 0 || EVP_DigestUpdate(ctx, v[i].p, v[i].len) == 1;
    unsigned int olen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &olen) == 1 && olen == 16;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : WMGW_EINTERNAL;
}

int wmgw__ntlm_md4(const uint8_t *p, size_t n, uint8_t out[16])
{
    if (ready() != 0)
        return WMGW_ECONFIG;
    struct wmgw__ntlm_iov v = {p, n};
    return digest(md4, &v, 1, out);
}

int wmgw__ntlm_md5(const struct wmgw__ntlm_iov *v, size_t n, uint8_t out[16])
{
    if (ready() != 0)
        return WMGW_ECONFIG;
    return digest(md5, v, n, out);
}

int wmgw__ntlm_hmac_md5(const uint8_t *key, size_t klen, const struct wmgw__ntlm_iov *v, size_t n,
                        uint8_t out[16])
{
    if (ready() != 0)
        return WMGW_ECONFIG;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0),
                           OSSL_PARAM_construct_end()};
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, klen, params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = v[i].len == 0 || EVP_MAC_update(ctx, v[i].p, v[i].len) == 1;
    size_t olen = 0;
    ok = ok && EVP_MAC_final(ctx, out, &olen, 16) == 1 && olen == 16;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : WMGW_EINTERNAL;
}

/* CRC-32 (IEEE 802.3, reflected), bit by bit: it signs NTLMv1 messages,
 * which only the spec's vectors use, so speed does not matter. */
uint32_t wmgw__ntlm_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int wmgw__ntlm_rc4_init(EVP_CIPHER_CTX **out, const uint8_t *key, size_t klen)
{
    *out = NULL;
    if (ready() != 0)
        return WMGW_ECONFIG;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    /* RC4 takes any key length; OpenSSL's default is 16, so set it first. */
    int ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, rc4, NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_set_key_length(ctx, (int)klen) == 1 &&
             EVP_EncryptInit_ex2(ctx, NULL, key, NULL, NULL) == 1;
    if (!ok) {
        EVP_CIPHER_CTX_free(ctx);
        return WMGW_EINTERNAL;
    }
    *out = ctx;
    return 0;
}

int wmgw__ntlm_rc4_update(EVP_CIPHER_CTX *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n, olen = 0;
        if (EVP_EncryptUpdate(ctx, out, &olen, in, chunk) != 1 || olen != chunk)
            return WMGW_EINTERNAL;
        in += chunk;
        out += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

int wmgw__ntlm_rc4k(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t n)
{
    EVP_CIPHER_CTX *ctx;
    int rc = wmgw__ntlm_rc4_init(&ctx, key, klen);
    if (rc == 0)
        rc = wmgw__ntlm_rc4_update(ctx, in, out, n);
    EVP_CIPHER_CTX_free(ctx); /* also wipes the key schedule */
    return rc;
}

int wmgw_ntlm_nt_hash(const char *password, uint8_t out[16], struct wmgw_err *err)
{
    uint8_t u16[WMGW_NTLM_MAX_PASSWORD * 2];
    size_t n = 0;
    int rc = wmgw__ntlm_crypto_init(err);
    if (rc != 0)
        return rc;
    if (strlen(password) > WMGW_NTLM_MAX_PASSWORD)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM: password longer than %d bytes", WMGW_NTLM_MAX_PASSWORD);
    bool bad = wmgw__ntlm_utf16(password, false, u16, sizeof(u16), &n) != 0;
    rc = bad ? 0 : wmgw__ntlm_md4(u16, n, out);
    OPENSSL_cleanse(u16, sizeof(u16));
    if (bad)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: password is not valid UTF-8");
    return rc == 0 ? 0 : wmgw_err_set(err, rc, "NTLM: MD4 failed");
}

int wmgw__ntlm_ntowfv2(const uint8_t nt_hash[16], const uint8_t *user16, size_t ulen, const uint8_t *dom16,
                       size_t dlen, uint8_t out[16])
{
    uint8_t upper[WMGW_NTLM_MAX_NAME * 2];
    if (ulen > sizeof(upper))
        return WMGW_ETOOBIG;
    wmgw__ntlm_utf16_upper(user16, ulen, upper);
    struct wmgw__ntlm_iov v[] = {{upper, ulen}, {dom16, dlen}};
    return wmgw__ntlm_hmac_md5(nt_hash, 16, v, 2, out);
}

int wmgw__ntlm_v2_proof(const uint8_t key[16], const uint8_t server_challenge[8], const uint8_t *blob,
                        size_t blob_len, uint8_t proof[16])
{
    struct wmgw__ntlm_iov v[] = {{server_challenge, 8}, {blob, blob_len}};
    return wmgw__ntlm_hmac_md5(key, 16, v, 2, proof);
}

int wmgw__ntlm_lmv2_response(const uint8_t key[16], const uint8_t server_challenge[8],
                             const uint8_t client_challenge[8], uint8_t out[24])
{
    struct wmgw__ntlm_iov v[] = {{server_challenge, 8}, {client_challenge, 8}};
    int rc = wmgw__ntlm_hmac_md5(key, 16, v, 2, out);
    memcpy(out + 16, client_challenge, 8);
    return rc;
}

/* Magic constants of 3.4.5.2 and 3.4.5.3, NUL included. */
static const char sign_c2s[] = "session key to client-to-server signing key magic constant";
static const char sign_s2c[] = "session key to server-to-client signing key magic constant";
static const char seal_c2s[] = "session key to client-to-server sealing key magic constant";
static const char seal_s2c[] = "session key to server-to-client sealing key magic constant";

int wmgw__ntlm_signkey(uint32_t flags, const uint8_t session_key[16], bool client, uint8_t out[16])
{
    if (!(flags & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
        memset(out, 0, 16); /* NIL: NTLMv1 signs with the sealing stream only */
        return 0;
    }
    const char *magic = client ? sign_c2s : sign_s2c;
    struct wmgw__ntlm_iov v[] = {{session_key, 16}, {magic, sizeof(sign_c2s)}};
    return wmgw__ntlm_md5(v, 2, out);
}

int wmgw__ntlm_sealkey(uint32_t flags, const uint8_t session_key[16], bool client, uint8_t out[16],
                       size_t *out_len)
{
    if (flags & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) {
        size_t klen = (flags & WMGW_NTLM_NEGOTIATE_128) ? 16 : (flags & WMGW_NTLM_NEGOTIATE_56) ? 7 : 5;
        const char *magic = client ? seal_c2s : seal_s2c;
        struct wmgw__ntlm_iov v[] = {{session_key, klen}, {magic, sizeof(seal_c2s)}};
        *out_len = 16;
        return wmgw__ntlm_md5(v, 2, out);
    }
    if (flags & (WMGW_NTLM_NEGOTIATE_LM_KEY | WMGW_NTLM_NEGOTIATE_DATAGRAM)) {
        /* 40 or 56 bits in 8 bytes (the datagram case assumes revision W2K3) */
        memcpy(out, session_key, 8);
        if (flags & WMGW_NTLM_NEGOTIATE_56) {
            out[7] = 0xA0;
        } else {
            out[5] = 0xE5;
            out[6] = 0x38;
            out[7] = 0xB0;
        }
        *out_len = 8;
        return 0;
    }
    memcpy(out, session_key, 16);
    *out_len = 16;
    return 0;
}

/* ---- NTLMv1 and LM: MS-NLMP 4.2 vectors only ---- */

/* Spreads 56 key bits over 8 bytes, 7 bits each (DES ignores the low,
 * parity, bit). */
static void des_key_expand(const uint8_t k[7], uint8_t out[8])
{
    out[0] = k[0];
    out[1] = (uint8_t)(k[0] << 7 | k[1] >> 1);
    out[2] = (uint8_t)(k[1] << 6 | k[2] >> 2);
    out[3] = (uint8_t)(k[2] << 5 | k[3] >> 3);
    out[4] = (uint8_t)(k[3] << 4 | k[4] >> 4);
    out[5] = (uint8_t)(k[4] << 3 | k[5] >> 5);
    out[6] = (uint8_t)(k[5] << 2 | k[6] >> 6);
    out[7] = (uint8_t)(k[6] << 1);
    for (int i = 0; i < 8; i++)
        out[i] &= 0xFE;
}

int wmgw__ntlm_des(const uint8_t key7[7], const uint8_t in[8], uint8_t out[8])
{
    if (ready() != 0)
        return WMGW_ECONFIG;
    uint8_t key[8];
    des_key_expand(key7, key);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int olen = 0;
    int ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, des_ecb, key, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_EncryptUpdate(ctx, out, &olen, in, 8) == 1 &&
             olen == 8;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? 0 : WMGW_EINTERNAL;
}

int wmgw__ntlm_desl(const uint8_t key[16], const uint8_t in[8], uint8_t out[24])
{
    uint8_t last[7] = {key[14], key[15], 0, 0, 0, 0, 0};
    int rc = wmgw__ntlm_des(key, in, out);
    if (rc == 0)
        rc = wmgw__ntlm_des(key + 7, in, out + 8);
    if (rc == 0)
        rc = wmgw__ntlm_des(last, in, out + 16);
    OPENSSL_cleanse(last, sizeof(last));
    return rc;
}

int wmgw__ntlm_lmowfv1(const char *password, uint8_t out[16])
{
    static const uint8_t kgs[8] = {'K', 'G', 'S', '!', '@', '#', '$', '%'};
    uint8_t pw[14] = {0};
    size_t n = strlen(password);
    if (n > sizeof(pw))
        return WMGW_EINVAL; /* LMOWFv1 is undefined past 14 characters */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)password[i];
        pw[i] = (ch >= 'a' && ch <= 'z') ? (uint8_t)(ch - 32) : ch; /* the vectors are ASCII */
    }
    int rc = wmgw__ntlm_des(pw, kgs, out);
    if (rc == 0)
        rc = wmgw__ntlm_des(pw + 7, kgs, out + 8);
    OPENSSL_cleanse(pw, sizeof(pw));
    return rc;
}

int wmgw__ntlm_kxkey_v1(uint32_t flags, const uint8_t session_base_key[16], const uint8_t lm_response[8],
                        const uint8_t server_challenge[8], const uint8_t lmowf[16], uint8_t out[16])
{
    if (flags & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) {
        struct wmgw__ntlm_iov v[] = {{server_challenge, 8}, {lm_response, 8}};
        return wmgw__ntlm_hmac_md5(session_base_key, 16, v, 2, out);
    }
    if (flags & WMGW_NTLM_NEGOTIATE_LM_KEY) {
        uint8_t k2[7] = {lmowf[7], 0xBD, 0xBD, 0xBD, 0xBD, 0xBD, 0xBD};
        int rc = wmgw__ntlm_des(lmowf, lm_response, out);
        if (rc == 0)
            rc = wmgw__ntlm_des(k2, lm_response, out + 8);
        OPENSSL_cleanse(k2, sizeof(k2));
        return rc;
    }
    if (flags & WMGW_NTLM_REQUEST_NON_NT_SESSION_KEY) {
        memcpy(out, lmowf, 8);
        memset(out + 8, 0, 8);
        return 0;
    }
    memcpy(out, session_base_key, 16);
    return 0;
}
