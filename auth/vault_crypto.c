/*
 * vault_crypto.c: the vault's cryptography (vault_int.h): sealing one
 * credential's secret with AES-256-GCM, the HMAC that authenticates the
 * whole file, and the check of a parsed file against a key.
 *
 * Associated data of a sealed secret (binds it to its place):
 *     "wmgw-vault/1" 0 | len(id) id | kind (1 byte) | version (8 bytes, BE)
 * so a ciphertext moved to another credential, relabelled as another
 * kind, or put back under an older version number does not open.
 *
 * File MAC: HMAC-SHA256 under the derived MAC key over an unambiguous
 * encoding of everything in the file but the MAC itself (integers as 8
 * bytes big-endian, strings and blobs with a 4-byte length before them):
 *     "wmgw-vault/1 file" 0 | key_id | generation | count of credentials |
 *     each: id kind user domain created rotated version sealed |
 *     count of mappings | each: subject_type subject host_group credential
 * The encoding is of the parsed model, not of the JSON text, so the MAC
 * does not depend on how the JSON is spaced.
 *
 * SECURITY
 *      Nonces are 96 random bits from RAND_bytes per write: with the few
 *      thousand writes a vault sees, far below GCM's 2^32 bound per key.
 *      Plaintext is decrypted straight into secret memory and wiped when
 *      the tag fails.  MACs are compared with CRYPTO_memcmp.
 */
#include "auth/vault_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define AAD_MAGIC "wmgw-vault/1"
#define MAC_MAGIC "wmgw-vault/1 file"

static const uint8_t *enc_key(const struct wmgw__vault_keys *k)
{
    return k->mem->data;
}

static const uint8_t *mac_key(const struct wmgw__vault_keys *k)
{
    return k->mem->data + 32;
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static size_t build_aad(const struct wmgw_vault_info *info, uint8_t *aad)
{
    size_t id_len = strnlen(info->id, WMGW_VAULT_ID_MAX);
    size_t n = sizeof(AAD_MAGIC); /* with its NUL */
    memcpy(aad, AAD_MAGIC, n);
    aad[n++] = (uint8_t)id_len;
    memcpy(aad + n, info->id, id_len);
    n += id_len;
    aad[n++] = (uint8_t)info->kind;
    be64(aad + n, info->version);
    return n + 8;
}

#define AAD_MAX (sizeof(AAD_MAGIC) + 1 + WMGW_VAULT_ID_MAX + 1 + 8)

int wmgw__vault_seal(const struct wmgw__vault_keys *k, const struct wmgw_vault_info *info,
                     const struct wmgw_secret *pt, uint8_t **sealed, size_t *sealed_len, struct wmgw_err *err)
{
    *sealed = NULL;
    uint8_t aad[AAD_MAX];
    size_t aad_len = build_aad(info, aad);
    size_t n = WMGW__VAULT_NONCE_LEN + pt->len + WMGW__VAULT_TAG_LEN;
    uint8_t *out = malloc(n);
    if (out == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory to seal a secret");
    uint8_t *nonce = out, *ct = out + WMGW__VAULT_NONCE_LEN, *tag = ct + pt->len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int ok = ctx != NULL && RAND_bytes(nonce, WMGW__VAULT_NONCE_LEN) == 1 &&
             EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, enc_key(k), nonce) == 1 &&
             EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1 &&
             (pt->len == 0 || EVP_EncryptUpdate(ctx, ct, &len, pt->data, (int)pt->len) == 1) &&
             EVP_EncryptFinal_ex(ctx, ct + pt->len, &len) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, WMGW__VAULT_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        free(out);
        return wmgw_err_set(err, WMGW_EINTERNAL, "AES-256-GCM encryption failed");
    }
    *sealed = out;
    *sealed_len = n;
    return 0;
}

int wmgw__vault_unseal(const struct wmgw__vault_keys *k, const struct wmgw_vault_info *info, const uint8_t *sealed,
                       size_t sealed_len, struct wmgw_secret **pt, struct wmgw_err *err)
{
    *pt = NULL;
    if (sealed_len < WMGW__VAULT_NONCE_LEN + WMGW__VAULT_TAG_LEN || sealed_len > WMGW__VAULT_SEALED_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "credential %s: sealed secret has a bad length", info->id);
    size_t n = sealed_len - WMGW__VAULT_NONCE_LEN - WMGW__VAULT_TAG_LEN;
    const uint8_t *nonce = sealed, *ct = sealed + WMGW__VAULT_NONCE_LEN, *tag = ct + n;
    struct wmgw_secret *out;
    int rc = wmgw_secret_new(n, &out, err);
    if (rc != 0)
        return rc;
    uint8_t aad[AAD_MAX];
    size_t aad_len = build_aad(info, aad);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, enc_key(k), nonce) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1 &&
             (n == 0 || EVP_DecryptUpdate(ctx, out->data, &len, ct, (int)n) == 1) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, WMGW__VAULT_TAG_LEN, (void *)tag) == 1 &&
             EVP_DecryptFinal_ex(ctx, out->data + n, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        wmgw_secret_free(out);
        return wmgw_err_set(err, WMGW_EAUTH,
                            "credential %s: secret does not decrypt (wrong key, or altered, moved or replayed)",
                            info->id);
    }
    *pt = out;
    return 0;
}

/* ---- the file MAC ---- */

static int mac_u64(EVP_MAC_CTX *ctx, uint64_t v)
{
    uint8_t b[8];
    be64(b, v);
    return EVP_MAC_update(ctx, b, 8);
}

static int mac_bytes(EVP_MAC_CTX *ctx, const void *p, size_t n)
{
    uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return EVP_MAC_update(ctx, b, 4) && (n == 0 || EVP_MAC_update(ctx, p, n));
}

static int mac_str(EVP_MAC_CTX *ctx, const char *s)
{
    return mac_bytes(ctx, s, strlen(s));
}

static int compute_mac(const struct wmgw__vault_keys *k, const struct wmgw__vault_state *st, uint8_t out[32])
{
    char digest[] = "SHA256";
    OSSL_PARAM ps[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                       OSSL_PARAM_construct_end()};
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    int ok = ctx != NULL && EVP_MAC_init(ctx, mac_key(k), 32, ps) &&
             EVP_MAC_update(ctx, (const uint8_t *)MAC_MAGIC, sizeof(MAC_MAGIC)) && mac_str(ctx, st->key_id) &&
             mac_u64(ctx, st->generation) && mac_u64(ctx, st->n_entries);
    for (size_t i = 0; ok && i < st->n_entries; i++) {
        const struct wmgw__vault_entry *e = &st->entries[i];
        ok = mac_str(ctx, e->info.id) && mac_u64(ctx, e->info.kind) && mac_str(ctx, e->info.user) &&
             mac_str(ctx, e->info.domain) && mac_u64(ctx, (uint64_t)e->info.created) &&
             mac_u64(ctx, (uint64_t)e->info.rotated) && mac_u64(ctx, e->info.version) &&
             mac_bytes(ctx, e->sealed, e->sealed_len);
    }
    ok = ok && mac_u64(ctx, st->n_maps);
    for (size_t i = 0; ok && i < st->n_maps; i++) {
        const struct wmgw_vault_mapping *m = &st->maps[i];
        ok = mac_u64(ctx, m->subject_type) && mac_str(ctx, m->subject) && mac_str(ctx, m->host_group) &&
             mac_str(ctx, m->credential);
    }
    size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out, &len, 32) && len == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return ok ? 0 : WMGW_EINTERNAL;
}

int wmgw__vault_sign(const struct wmgw__vault_keys *k, struct wmgw__vault_state *st, struct wmgw_err *err)
{
    memcpy(st->key_id, k->key_id, sizeof(st->key_id));
    if (compute_mac(k, st, st->mac) != 0)
        return wmgw_err_set(err, WMGW_EINTERNAL, "HMAC-SHA256 failed");
    return 0;
}

int wmgw__vault_verify(const struct wmgw__vault_keys *k, const struct wmgw__vault_state *st, struct wmgw_err *err)
{
    if (strcmp(st->key_id, k->key_id) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "the vault file needs master key %s, not key %s", st->key_id,
                            k->key_id);
    uint8_t mac[32];
    if (compute_mac(k, st, mac) != 0)
        return wmgw_err_set(err, WMGW_EINTERNAL, "HMAC-SHA256 failed");
    if (CRYPTO_memcmp(mac, st->mac, sizeof(mac)) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "the vault file was altered (its MAC does not verify)");
    for (size_t i = 0; i < st->n_entries; i++) {
        const struct wmgw__vault_entry *e = &st->entries[i];
        struct wmgw_secret *pt;
        struct wmgw_vault_revealed r = {0};
        int rc = wmgw__vault_unseal(k, &e->info, e->sealed, e->sealed_len, &pt, err);
        if (rc == 0 && (rc = wmgw__vault_material_unpack(e->info.kind, pt, &r, err)) != 0)
            rc = wmgw_err_set(err, WMGW_EAUTH, "credential %s: decrypted secret is not a %s", e->info.id,
                              wmgw_vault_kind_name(e->info.kind));
        wmgw_secret_free(pt);
        if (rc != 0)
            return rc;
    }
    return 0;
}
