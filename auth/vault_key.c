/*
 * vault_key.c: the vault's master key: loading it from a key file or from
 * an environment variable's value, making and writing a new one, and the
 * keys derived from it (vault.h, vault_int.h).
 *
 * Derivation: HKDF-SHA256 (RFC 5869) of the master key with the salt
 * "wmgw-vault" and one "info" label per use, so the AES key, the HMAC key
 * and the public key id are independent of each other:
 *
 *   "wmgw-vault/1 secret encryption"   32 bytes, AES-256-GCM of secrets
 *   "wmgw-vault/1 file authentication" 32 bytes, HMAC-SHA256 of the file
 *   "wmgw-vault/1 key id"               8 bytes, printed as 16 hex digits
 *
 * SECURITY
 *      The key never passes through stdio or the ordinary heap: a key file
 *      is read with read(2) straight into secret memory; base64 is decoded
 *      by wmgw_secret_from_base64().  A key file that group or others may
 *      read or write is refused (they could read the key, or replace it
 *      with one of theirs before the vault is created).  A symbolic link
 *      is followed (Kubernetes mounts Secrets through links); the mode
 *      checked is that of the file read.  Messages name the path, never
 *      the content.
 */
#include "auth/vault_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B64_LEN 44 /* standard base64 of 32 bytes */

struct wmgw_vault_key {
    struct wmgw_secret *bytes; /* WMGW_VAULT_KEY_LEN */
};

static int wrap(struct wmgw_secret *s, struct wmgw_vault_key **out, struct wmgw_err *err)
{
    struct wmgw_vault_key *k = malloc(sizeof(*k));
    if (k == NULL) {
        wmgw_secret_free(s);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for a vault key");
    }
    k->bytes = s;
    *out = k;
    return 0;
}

int wmgw__vault_key_from_bytes(const uint8_t bytes[WMGW_VAULT_KEY_LEN], struct wmgw_vault_key **out,
                               struct wmgw_err *err)
{
    struct wmgw_secret *s;
    *out = NULL;
    int rc = wmgw_secret_from_bytes(bytes, WMGW_VAULT_KEY_LEN, &s, err);
    return rc ? rc : wrap(s, out, err);
}

int wmgw_vault_key_generate(struct wmgw_vault_key **out, struct wmgw_err *err)
{
    struct wmgw_secret *s;
    *out = NULL;
    int rc = wmgw_secret_new(WMGW_VAULT_KEY_LEN, &s, err);
    if (rc != 0)
        return rc;
    if (RAND_priv_bytes(s->data, WMGW_VAULT_KEY_LEN) != 1) {
        wmgw_secret_free(s);
        return wmgw_err_set(err, WMGW_EINTERNAL, "no random bytes for a vault key");
    }
    return wrap(s, out, err);
}

static int from_base64(const char *text, size_t n, const char *source, struct wmgw_vault_key **out,
                       struct wmgw_err *err)
{
    struct wmgw_secret *s = NULL;
    if (n != B64_LEN || wmgw_secret_from_base64(text, n, WMGW_BASE64_STD, &s, NULL) != 0 ||
        s->len != WMGW_VAULT_KEY_LEN) {
        wmgw_secret_free(s);
        return wmgw_err_set(err, WMGW_ECONFIG, "%s is not a vault key (base64 of %d bytes)", source,
                            WMGW_VAULT_KEY_LEN);
    }
    return wrap(s, out, err);
}

int wmgw_vault_key_from_base64(const char *value, struct wmgw_vault_key **out, struct wmgw_err *err)
{
    *out = NULL;
    return from_base64(value, strnlen(value, B64_LEN + 1), "the vault key variable", out, err);
}

int wmgw_vault_key_load_file(const char *path, struct wmgw_vault_key **out, struct wmgw_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot open vault key file %s: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = wmgw_err_set(err, WMGW_ECONFIG, "vault key file %s is not a regular file", path);
    else if ((st.st_mode & 077) != 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG,
                          "vault key file %s has mode 0%03o: group or others may read or write it; "
                          "only its owner may (chmod 400)",
                          path, (unsigned)(st.st_mode & 0777));
    else if (st.st_size != WMGW_VAULT_KEY_LEN && st.st_size != B64_LEN && st.st_size != B64_LEN + 1)
        rc = wmgw_err_set(err, WMGW_ECONFIG,
                          "vault key file %s is not a vault key (32 bytes, or their base64 in 44 characters)", path);
    struct wmgw_secret *raw = NULL;
    if (rc == 0)
        rc = wmgw_secret_new((size_t)st.st_size, &raw, err);
    size_t got = 0;
    while (rc == 0 && got < raw->len) {
        ssize_t k = read(fd, raw->data + got, raw->len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot read vault key file %s", path);
        else
            got += (size_t)k;
    }
    close(fd);
    if (rc == 0 && raw->len == WMGW_VAULT_KEY_LEN) {
        rc = wrap(raw, out, err);
        raw = NULL;
    } else if (rc == 0) {
        size_t n = raw->len;
        if (n == B64_LEN + 1 && raw->data[n - 1] == '\n')
            n--;
        char source[64 + 1024];
        snprintf(source, sizeof(source), "vault key file %s", path);
        rc = from_base64((const char *)raw->data, n, source, out, err);
    }
    wmgw_secret_free(raw);
    return rc;
}

int wmgw_vault_key_write_file(const struct wmgw_vault_key *key, const char *path, struct wmgw_err *err)
{
    /* 44 characters fit the buffer's first allocation: no realloc copies. */
    struct wmgw_buf b;
    wmgw_buf_init(&b, B64_LEN + 1);
    int rc = wmgw_base64_encode(&b, key->bytes->data, WMGW_VAULT_KEY_LEN, WMGW_BASE64_STD);
    if (rc == 0)
        rc = wmgw_buf_addc(&b, '\n');
    int fd = -1;
    if (rc == 0 && (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400)) < 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot create vault key file %s: %s", path, strerror(errno));
    if (rc == 0 && (fchmod(fd, 0400) != 0 || write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) != 0)) {
        rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot write vault key file %s: %s", path, strerror(errno));
        unlink(path);
    }
    if (fd >= 0)
        close(fd);
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.cap);
    wmgw_buf_dispose(&b);
    return rc;
}

void wmgw_vault_key_free(struct wmgw_vault_key *key)
{
    if (key == NULL)
        return;
    wmgw_secret_free(key->bytes);
    free(key);
}

/* HKDF-SHA256(master, salt "wmgw-vault", info label) into out[0..n). */
static int hkdf(const struct wmgw_vault_key *key, const char *label, uint8_t *out, size_t n)
{
    static const char salt[] = "wmgw-vault";
    char digest[] = "SHA256";
    OSSL_PARAM ps[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key->bytes->data, WMGW_VAULT_KEY_LEN),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label)),
        OSSL_PARAM_construct_end(),
    };
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, n, ps) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : WMGW_EINTERNAL;
}

void wmgw_vault_key_id(const struct wmgw_vault_key *key, char out[WMGW__VAULT_KEY_ID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t id[WMGW__VAULT_KEY_ID_LEN / 2];
    if (hkdf(key, "wmgw-vault/1 key id", id, sizeof(id)) != 0)
        memset(id, 0, sizeof(id)); /* "0000000000000000" matches no file we write */
    for (size_t i = 0; i < sizeof(id); i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[WMGW__VAULT_KEY_ID_LEN] = '\0';
}

int wmgw__vault_keys_derive(const struct wmgw_vault_key *key, struct wmgw__vault_keys **out, struct wmgw_err *err)
{
    *out = NULL;
    struct wmgw__vault_keys *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for vault keys");
    int rc = wmgw_secret_new(64, &k->mem, err);
    if (rc == 0 && (hkdf(key, "wmgw-vault/1 secret encryption", k->mem->data, 32) != 0 ||
                    hkdf(key, "wmgw-vault/1 file authentication", k->mem->data + 32, 32) != 0))
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "HKDF-SHA256 failed");
    if (rc != 0) {
        wmgw__vault_keys_free(k);
        return rc;
    }
    wmgw_vault_key_id(key, k->key_id);
    *out = k;
    return 0;
}

void wmgw__vault_keys_free(struct wmgw__vault_keys *k)
{
    if (k == NULL)
        return;
    wmgw_secret_free(k->mem);
    free(k);
}
