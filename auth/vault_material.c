/*
 * vault_material.c: the plaintext of each kind of credential, the bytes
 * that AES-256-GCM seals (vault_int.h):
 *
 *   password      the password's bytes (1..1024, no NUL)
 *   keytab        the keytab file's bytes (1..64 KiB, starting 05 01 or 05 02)
 *   certificate   PEM certificate chain, one NUL, PEM private key (each
 *                 1..64 KiB, no NUL: PEM is text, so the NUL separates them)
 *
 * pack() checks what the admin API gives and builds the plaintext in
 * secret memory; unpack() checks a decrypted plaintext and points the
 * revealed views into it, in place (the secret's own trailing NUL ends the
 * last part, the separator ends the certificate).  The checks are about
 * shape only; the transport that uses a keytab or key parses it.
 */
#include "auth/vault_int.h"

#include <string.h>

static bool has(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle)) != NULL;
}

static int check_password(const char *p, size_t n, struct wmgw_err *err)
{
    if (p == NULL || n == 0 || n > WMGW_VAULT_PASSWORD_MAX || memchr(p, '\0', n) != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "a password is 1 to %d bytes without NUL", WMGW_VAULT_PASSWORD_MAX);
    return 0;
}

static int check_keytab(const uint8_t *p, size_t n, struct wmgw_err *err)
{
    if (p == NULL || n < 2 || n > WMGW_VAULT_BLOB_MAX || p[0] != 0x05 || (p[1] != 0x01 && p[1] != 0x02))
        return wmgw_err_set(err, WMGW_EINVAL,
                            "a keytab is a keytab file (version 0x0501 or 0x0502) of at most %d bytes",
                            WMGW_VAULT_BLOB_MAX);
    return 0;
}

static int check_pem(const char *p, size_t n, bool key, struct wmgw_err *err)
{
    const char *what = key ? "private key" : "certificate";
    if (p == NULL || n == 0 || n > WMGW_VAULT_BLOB_MAX || memchr(p, '\0', n) != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "the %s is PEM text of 1 to %d bytes", what, WMGW_VAULT_BLOB_MAX);
    if (key ? !(has(p, n, "-----BEGIN ") && has(p, n, "PRIVATE KEY-----")) : !has(p, n, "-----BEGIN CERTIFICATE-----"))
        return wmgw_err_set(err, WMGW_EINVAL, "the %s is not PEM (no BEGIN %s line)", what,
                            key ? "... PRIVATE KEY" : "CERTIFICATE");
    return 0;
}

int wmgw__vault_material_pack(enum wmgw_vault_kind kind, const struct wmgw_vault_material *m,
                              struct wmgw_secret **out, struct wmgw_err *err)
{
    *out = NULL;
    int rc;
    switch (kind) {
    case WMGW_VAULT_PASSWORD:
        rc = check_password(m->password, m->password_len, err);
        return rc ? rc : wmgw_secret_from_bytes(m->password, m->password_len, out, err);
    case WMGW_VAULT_KEYTAB:
        rc = check_keytab(m->keytab, m->keytab_len, err);
        return rc ? rc : wmgw_secret_from_bytes(m->keytab, m->keytab_len, out, err);
    case WMGW_VAULT_CERTIFICATE:
        rc = check_pem(m->cert_pem, m->cert_pem_len, false, err);
        if (rc == 0)
            rc = check_pem(m->key_pem, m->key_pem_len, true, err);
        if (rc == 0)
            rc = wmgw_secret_new(m->cert_pem_len + 1 + m->key_pem_len, out, err);
        if (rc == 0) {
            memcpy((*out)->data, m->cert_pem, m->cert_pem_len);
            (*out)->data[m->cert_pem_len] = '\0';
            memcpy((*out)->data + m->cert_pem_len + 1, m->key_pem, m->key_pem_len);
        }
        return rc;
    }
    return wmgw_err_set(err, WMGW_EINVAL, "unknown credential kind");
}

int wmgw__vault_material_unpack(enum wmgw_vault_kind kind, struct wmgw_secret *pt, struct wmgw_vault_revealed *r,
                                struct wmgw_err *err)
{
    const char *text = (const char *)pt->data;
    int rc = WMGW_EINVAL;
    switch (kind) {
    case WMGW_VAULT_PASSWORD:
        rc = check_password(text, pt->len, err);
        if (rc == 0) {
            r->password = text;
            r->password_len = pt->len;
        }
        break;
    case WMGW_VAULT_KEYTAB:
        rc = check_keytab(pt->data, pt->len, err);
        if (rc == 0) {
            r->keytab = pt->data;
            r->keytab_len = pt->len;
        }
        break;
    case WMGW_VAULT_CERTIFICATE: {
        const char *nul = memchr(text, '\0', pt->len);
        size_t cert_len = nul ? (size_t)(nul - text) : pt->len;
        rc = nul ? check_pem(text, cert_len, false, err) : wmgw_err_set(err, WMGW_EINVAL, "no private key");
        if (rc == 0)
            rc = check_pem(nul + 1, pt->len - cert_len - 1, true, err);
        if (rc == 0) {
            r->cert_pem = text;
            r->cert_pem_len = cert_len;
            r->key_pem = nul + 1;
            r->key_pem_len = pt->len - cert_len - 1;
        }
        break;
    }
    default:
        rc = wmgw_err_set(err, WMGW_EINVAL, "unknown credential kind");
    }
    if (rc == 0)
        r->secret = pt;
    return rc;
}
